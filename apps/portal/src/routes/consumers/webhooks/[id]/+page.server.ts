import { error } from '@sveltejs/kit';
import { callGateway, GatewayError, GatewayUnreachable } from '#lib/server/gateway.ts';
import { endSessionOn401, requireSignIn } from '#lib/server/session.ts';
import type { DeliveryAttempt, WebhookSubscription } from '../../types.ts';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, url, cookies, params }) => {
	const token = requireSignIn(locals, url);
	const id = encodeURIComponent(params.id);
	try {
		const [list, log] = await Promise.all([
			callGateway<{ items: WebhookSubscription[] }>('/api/webhooks', { token }),
			callGateway<{ items: DeliveryAttempt[] }>(`/api/webhooks/${id}/deliveries?limit=200`, { token }),
		]);
		const subscription = list.body.items.find((item) => item.id === params.id);
		if (!subscription) error(404, 'No such webhook');
		return { subscription, deliveries: log.body.items, loadError: null };
	} catch (failure) {
		endSessionOn401(failure, cookies, url);
		if (failure instanceof GatewayError && failure.status === 404) error(404, 'No such webhook');
		if (failure instanceof GatewayError || failure instanceof GatewayUnreachable) {
			return { subscription: null, deliveries: [] as DeliveryAttempt[], loadError: failure.message };
		}
		throw failure;
	}
};
