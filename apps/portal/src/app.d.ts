import type { Principal } from '#lib/server/jwt.ts';

declare global {
	namespace App {
		interface Locals {
			/** The gateway token from the session cookie; server-only. */
			token?: string;
			principal?: Principal;
		}
	}
}

export {};
