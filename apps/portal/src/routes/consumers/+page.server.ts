import { fail } from '@sveltejs/kit';
import { body, gateway, GatewayUnreachable, ProblemError } from '#lib/server/gateway.ts';
import { problemMessage } from '#lib/server/problem.ts';
import { endSessionOn401, requireSignIn } from '#lib/server/session.ts';
import type { Actions, PageServerLoad } from './$types';
import type { ConsumerKey, WebhookSubscription } from './types.ts';

/** The contexts that publish something: the channels of the AsyncAPI document. */
async function publishingContexts(): Promise<string[]> {
	const asyncapi = (await gateway().document('/asyncapi.json')) as { channels?: Record<string, { address?: string }> };
	return Object.values(asyncapi.channels ?? {})
		.map((channel) => /^\/api\/([^/]+)\/feed$/.exec(channel.address ?? '')?.[1])
		.filter((name): name is string => Boolean(name));
}

export const load: PageServerLoad = async ({ locals, url, cookies }) => {
	const token = requireSignIn(locals, url);
	try {
		const { api } = gateway(token);
		const [keys, webhooks, contexts] = await Promise.all([body(api.GET('/api/consumer-keys')), body(api.GET('/api/webhooks')), publishingContexts()]);
		return { keys: keys.items, webhooks: webhooks.items, contexts, loadError: null };
	} catch (error) {
		endSessionOn401(error, cookies, url);
		if (error instanceof ProblemError || error instanceof GatewayUnreachable) {
			const message = error instanceof ProblemError && error.status === 403 ? 'Consumer keys and webhooks are for admins.' : error.message;
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
			const { key, secret } = await body(gateway(token).api.POST('/api/consumer-keys', { body: { name, contexts } }));
			// The secret goes to this one answer only; the gateway keeps its hash.
			return { action: 'create', created: { id: key.id, name: key.name, contexts: key.contexts, secret } };
		} catch (error) {
			endSessionOn401(error, cookies, url);
			if (error instanceof ProblemError) return fail(error.status, { action: 'create', name, contexts, errors: error.problem.errors ?? {}, message: problemMessage(error.problem) });
			if (error instanceof GatewayUnreachable) return fail(503, { action: 'create', name, contexts, errors: {}, message: error.message });
			throw error;
		}
	},

	revoke: async ({ request, locals, url, cookies }) => {
		const token = requireSignIn(locals, url);
		const id = String((await request.formData()).get('id') ?? '');
		try {
			await body(gateway(token).api.DELETE('/api/consumer-keys/{id}', { params: { path: { id } } }));
			return { action: 'revoke', revoked: id };
		} catch (error) {
			endSessionOn401(error, cookies, url);
			if (error instanceof ProblemError) return fail(error.status, { action: 'revoke', message: problemMessage(error.problem) });
			if (error instanceof GatewayUnreachable) return fail(503, { action: 'revoke', message: error.message });
			throw error;
		}
	},

	removeWebhook: async ({ request, locals, url, cookies }) => {
		const token = requireSignIn(locals, url);
		const id = String((await request.formData()).get('id') ?? '');
		try {
			await body(gateway(token).api.DELETE('/api/webhooks/{id}', { params: { path: { id } } }));
			return { action: 'removeWebhook', removed: id };
		} catch (error) {
			endSessionOn401(error, cookies, url);
			if (error instanceof ProblemError) return fail(error.status, { action: 'removeWebhook', message: problemMessage(error.problem) });
			if (error instanceof GatewayUnreachable) return fail(503, { action: 'removeWebhook', message: error.message });
			throw error;
		}
	},
};
