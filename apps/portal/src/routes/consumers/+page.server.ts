import { fail } from '@sveltejs/kit';
import { callGateway, GatewayError, GatewayUnreachable } from '#lib/server/gateway.ts';
import { problemMessage } from '#lib/server/problem.ts';
import { endSessionOn401, requireSignIn } from '#lib/server/session.ts';
import type { Actions, PageServerLoad } from './$types';
import type { ConsumerKey, WebhookSubscription } from './types.ts';

/** The contexts that publish something: the channels of the AsyncAPI document. */
async function publishingContexts(): Promise<string[]> {
	const { body } = await callGateway<{ channels?: Record<string, { address?: string }> }>('/asyncapi.json');
	return Object.values(body.channels ?? {})
		.map((channel) => /^\/api\/([^/]+)\/feed$/.exec(channel.address ?? '')?.[1])
		.filter((name): name is string => Boolean(name));
}

export const load: PageServerLoad = async ({ locals, url, cookies }) => {
	const token = requireSignIn(locals, url);
	try {
		const [keys, webhooks, contexts] = await Promise.all([
			callGateway<{ items: ConsumerKey[] }>('/api/consumer-keys', { token }),
			callGateway<{ items: WebhookSubscription[] }>('/api/webhooks', { token }),
			publishingContexts(),
		]);
		return { keys: keys.body.items, webhooks: webhooks.body.items, contexts, loadError: null };
	} catch (error) {
		endSessionOn401(error, cookies, url);
		if (error instanceof GatewayError || error instanceof GatewayUnreachable) {
			const message = error instanceof GatewayError && error.status === 403 ? 'Consumer keys and webhooks are for admins.' : error.message;
			return { keys: [] as ConsumerKey[], webhooks: [] as WebhookSubscription[], contexts: [] as string[], loadError: message };
		}
		throw error;
	}
};

export const actions: Actions = {
	create: async ({ request, locals, url, cookies }) => {
		const token = requireSignIn(locals, url);
		const form = await request.formData();
		const name = String(form.get('name') ?? '').trim();
		const contexts = form.getAll('contexts').map(String);
		if (!name) return fail(400, { action: 'create', name, contexts, errors: { name: ['Name the system that will use the key'] }, message: null });
		if (contexts.length === 0) return fail(400, { action: 'create', name, contexts, errors: { contexts: ['Pick at least one context'] }, message: null });
		try {
			const { body } = await callGateway<{ key: ConsumerKey; secret: string }>('/api/consumer-keys', { token, body: { name, contexts } });
			// The secret goes to this one answer only; the gateway keeps its hash.
			return { action: 'create', created: { id: body.key.id, name: body.key.name, contexts: body.key.contexts, secret: body.secret } };
		} catch (error) {
			endSessionOn401(error, cookies, url);
			if (error instanceof GatewayError) return fail(error.status, { action: 'create', name, contexts, errors: error.problem.errors ?? {}, message: problemMessage(error.problem) });
			if (error instanceof GatewayUnreachable) return fail(503, { action: 'create', name, contexts, errors: {}, message: error.message });
			throw error;
		}
	},

	revoke: async ({ request, locals, url, cookies }) => {
		const token = requireSignIn(locals, url);
		const id = String((await request.formData()).get('id') ?? '');
		try {
			await callGateway(`/api/consumer-keys/${encodeURIComponent(id)}`, { token, method: 'DELETE' });
			return { action: 'revoke', revoked: id };
		} catch (error) {
			endSessionOn401(error, cookies, url);
			if (error instanceof GatewayError) return fail(error.status, { action: 'revoke', message: problemMessage(error.problem) });
			if (error instanceof GatewayUnreachable) return fail(503, { action: 'revoke', message: error.message });
			throw error;
		}
	},

	removeWebhook: async ({ request, locals, url, cookies }) => {
		const token = requireSignIn(locals, url);
		const id = String((await request.formData()).get('id') ?? '');
		try {
			await callGateway(`/api/webhooks/${encodeURIComponent(id)}`, { token, method: 'DELETE' });
			return { action: 'removeWebhook', removed: id };
		} catch (error) {
			endSessionOn401(error, cookies, url);
			if (error instanceof GatewayError) return fail(error.status, { action: 'removeWebhook', message: problemMessage(error.problem) });
			if (error instanceof GatewayUnreachable) return fail(503, { action: 'removeWebhook', message: error.message });
			throw error;
		}
	},
};
