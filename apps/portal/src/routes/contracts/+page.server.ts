import { callGateway, GatewayError, GatewayUnreachable } from '#lib/server/gateway.ts';
import type { PageServerLoad } from './$types';
import { contractsOf, type ContractContext } from './schema-fields.ts';

/** Public documentation: the AsyncAPI document needs no token, so neither does this page. */
export const load: PageServerLoad = async () => {
	try {
		const { body } = await callGateway<unknown>('/asyncapi.json');
		return { contexts: contractsOf(body), loadError: null };
	} catch (error) {
		if (error instanceof GatewayError || error instanceof GatewayUnreachable) {
			return { contexts: [] as ContractContext[], loadError: error.message };
		}
		throw error;
	}
};
