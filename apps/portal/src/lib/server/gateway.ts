/**
 * The portal's way to the gateway: the typed client of @eventloom/client, signed in
 * as the user of the request (tokens are per user, so a client per call). Every
 * refusal is thrown as a ProblemError carrying the RFC 7807 problem; a gateway
 * that cannot be reached at all is a GatewayUnreachable.
 */
import { GATEWAY_URL } from '$app/env/private';
import { GatewayClient } from '@eventloom/client';

export { body, command, GatewayUnreachable, ProblemError, streamBody } from '@eventloom/client';

export function gateway(token?: string): GatewayClient {
	return new GatewayClient({ baseUrl: GATEWAY_URL, ...(token ? { token } : {}) });
}
