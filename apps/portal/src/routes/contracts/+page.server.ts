import { gateway, GatewayUnreachable, ProblemError } from '#lib/server/gateway.ts';
import type { PageServerLoad } from './$types';
import { contractsOf, type ContractContext } from './schema-fields.ts';

/** Public documentation: the AsyncAPI document needs no token, so neither does this page. */
export const load: PageServerLoad = async () => {
	try {
		return { contexts: contractsOf(await gateway().document('/asyncapi.json')), loadError: null };
	} catch (error) {
		if (error instanceof ProblemError || error instanceof GatewayUnreachable) {
			return { contexts: [] as ContractContext[], loadError: error.message };
		}
		throw error;
	}
};
