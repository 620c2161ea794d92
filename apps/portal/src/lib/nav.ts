/**
 * The portal's sections. Banking, Events, Reports and Admin join this list as
 * their contexts land; `roles` limits a section to the roles that may use it.
 */
import type { Role } from './server/jwt.ts';

export interface Section {
	href: string;
	label: string;
	description: string;
	roles?: Role[];
}

export const sections: Section[] = [
	{
		href: '/counter',
		label: 'Counter',
		description: 'The example context: increment a counter and watch every open browser follow.',
	},
	{
		href: '/admin',
		label: 'Admin',
		description: 'Projection lag and state, view rebuilds with live progress, and dead letters to retry or skip.',
		roles: ['admin'],
	},
	{
		href: '/contracts',
		label: 'Contracts',
		description: 'What each context publishes to other systems: events, their style (notification or state) and schemas.',
	},
	{
		href: '/consumers',
		label: 'Consumers',
		description: 'Consumer keys scoped to contexts, and the webhooks consumers registered, with their delivery logs.',
		roles: ['admin'],
	},
];

export function sectionsFor(role: Role | undefined): Section[] {
	return sections.filter((section) => !section.roles || (role !== undefined && section.roles.includes(role)));
}
