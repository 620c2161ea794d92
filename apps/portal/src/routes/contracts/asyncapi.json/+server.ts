import { json } from '@sveltejs/kit';
import { gateway } from '#lib/server/gateway.ts';
import type { RequestHandler } from './$types';

/** The gateway's AsyncAPI document, for people who want the machine-readable form. */
export const GET: RequestHandler = async () => {
	return json(await gateway().document('/asyncapi.json'));
};
