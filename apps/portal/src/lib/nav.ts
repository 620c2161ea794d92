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
		href: '/banking',
		label: 'Banking',
		description: 'Deposit, withdraw or void for a customer at your bank; every balance at every bank, live.',
	},
	{
		href: '/customers',
		label: 'Customers',
		description: "A customer's accounts across the banks, their history, and their balances at any past moment.",
	},
	{
		href: '/events',
		label: 'Events',
		description: 'The banking event log: filter by customer, bank, type and time, and open any event in full.',
	},
	{
		href: '/dashboard',
		label: 'Dashboard',
		description: 'Orders this hour and today, orders per hour, top 10 movies and popular categories, live as orders stream in.',
	},
	{
		href: '/alerts',
		label: 'Alerts',
		description: 'Customers moving money from one bank to another: look into each alert and mark it investigated or dismissed.',
		roles: ['owner', 'admin'],
	},
	{
		href: '/categories',
		label: 'Categories',
		description: 'Create, rename and delete movie categories, and watch the category cache: hits, misses, invalidations.',
		roles: ['admin'],
	},
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
