import type { Role } from '@eventloom/core';

/** Who may read reports: everyone signed in (consumers through their key's scope). */
export const readers: Role[] = ['owner', 'admin', 'consumer'];

/** Who may decide cross-bank alerts: the banks' owners and admins. */
export const deciders: Role[] = ['owner', 'admin'];
