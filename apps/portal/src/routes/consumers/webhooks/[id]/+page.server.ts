import { error } from '@sveltejs/kit';
import { body, gateway, GatewayUnreachable, ProblemError } from '#lib/server/gateway.ts';
import { endSessionOn401, requireSignIn } from '#lib/server/session.ts';
import type { DeliveryAttempt, WebhookSubscription } from '../../types.ts';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, url, cookies, params }) => {
	const token = requireSignIn(locals, url);
	const { api } = gateway(token);
	try {
		const [list, log] = await Promise.all([
			body(api.GET('/api/webhooks')),
			body(api.GET('/api/webhooks/{id}/deliveries', { params: { path: { id: params.id }, query: { limit: 200 } } })),
		]);
		const subscription: WebhookSubscription | undefined = list.items.find((item) => item.id === params.id);
		if (!subscription) error(404, 'No such webhook');
		return { subscription, deliveries: log.items, loadError: null };
	} catch (failure) {
		endSessionOn401(failure, cookies, url);
		if (failure instanceof ProblemError && failure.status === 404) error(404, 'No such webhook');
		if (failure instanceof ProblemError || failure instanceof GatewayUnreachable) {
			return { subscription: null, deliveries: [] as DeliveryAttempt[], loadError: failure.message };
		}
		throw failure;
	}
};
