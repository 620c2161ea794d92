import { json } from '@sveltejs/kit';
import { callGateway } from '#lib/server/gateway.ts';
import type { RequestHandler } from './$types';

/** The gateway's AsyncAPI document, for people who want the machine-readable form. */
export const GET: RequestHandler = async () => {
	const { body } = await callGateway<unknown>('/asyncapi.json');
	return json(body);
};
