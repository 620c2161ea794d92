import { randomUUID } from 'node:crypto';
import { fail } from '@sveltejs/kit';
import { ownBank } from '#lib/components/banking/gateway.server.ts';
import { decideAlert, ProblemError, GatewayUnreachable, listAlerts, readFailure } from '#lib/components/reports/gateway.server.ts';
import type { Alert } from '#lib/components/reports/types.ts';
import { problemMessage } from '#lib/server/problem.ts';
import { endSessionOn401, requireSignIn } from '#lib/server/session.ts';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, url, cookies, depends }) => {
	// The page's live stream invalidates this key when alerts or decisions change.
	depends('app:alerts');
	const token = requireSignIn(locals, url);
	const principal = locals.principal;
	const mayDecide = principal?.role === 'owner' || principal?.role === 'admin';
	// Freezing acts at the receiving bank: an admin, or that bank's owner (the gateway checks it too).
	const mayFreeze = (alert: Alert) =>
		principal?.role === 'admin' || (principal?.role === 'owner' && ownBank([{ bank: alert.deposit.bank, bankName: alert.deposit.bankName }], principal.bank) === alert.deposit.bank);
	try {
		const { items, counts } = await listAlerts(token);
		const open = items.filter((alert) => alert.state === 'open');
		return {
			open,
			freezable: open.filter(mayFreeze).map((alert) => alert.id),
			decided: items.filter((alert) => alert.state !== 'open').sort((a, b) => (b.decision?.at ?? '').localeCompare(a.decision?.at ?? '')),
			counts,
			mayDecide,
			// A fresh key per load: a decision sent twice (double click, retried POST) is recorded once.
			submissionKey: randomUUID(),
			loadError: null,
		};
	} catch (error) {
		return {
			open: [] as Alert[],
			freezable: [] as string[],
			decided: [] as Alert[],
			counts: { open: 0, investigated: 0, dismissed: 0 },
			mayDecide,
			submissionKey: randomUUID(),
			loadError: readFailure(error, cookies, url),
		};
	}
};

export const actions: Actions = {
	decide: async ({ request, locals, url, cookies }) => {
		const token = requireSignIn(locals, url);
		const form = await request.formData();
		const id = String(form.get('id') ?? '');
		const decision = String(form.get('decision') ?? '');
		const note = String(form.get('note') ?? '');
		const freeze = form.get('freeze') === 'on';
		const key = String(form.get('key') ?? '') || randomUUID();
		const refuse = (status: number, errors: Record<string, string[]>, message: string | null) => fail(status, { id, decision, note, freeze, errors, message });

		if (decision !== 'investigated' && decision !== 'dismissed') return refuse(400, { decision: ['Choose investigated or dismissed'] }, null);
		if (!note.trim()) return refuse(400, { note: ['Say what you found, or why the alert is dismissed'] }, null);
		if (freeze && decision !== 'investigated') return refuse(400, { freeze: ['An account is frozen only while its alert is investigated: choose Investigated, or leave it unfrozen'] }, null);
		try {
			const reply = await decideAlert(token, id, decision, note, `${key}-${id}`, freeze);
			return { decided: { id, decision, froze: freeze, status: reply.status } };
		} catch (error) {
			endSessionOn401(error, cookies, url);
			if (error instanceof ProblemError) return refuse(error.status, error.problem.errors ?? {}, problemMessage(error.problem));
			if (error instanceof GatewayUnreachable) return refuse(503, {}, error.message);
			throw error;
		}
	},
};
