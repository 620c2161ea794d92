/**
 * How a cross-bank transfer reads to a person: its step as a badge's tone, and
 * one sentence on where it stands, with the banks' names.
 */
import type { TransferStep } from './types.ts';

export type Tone = 'ok' | 'pending' | 'error' | 'idle';

/** Green when the money arrived, grey when it went back, red when refused or stuck, amber while moving. */
export function stepTone(step: TransferStep): Tone {
	switch (step) {
		case 'completed':
			return 'ok';
		case 'compensated':
			return 'idle';
		case 'rejected':
		case 'attention':
			return 'error';
		default:
			return 'pending';
	}
}

/** "Depositing at Scotia Bank…", "The money went back to Republic Bank.": where the transfer stands. */
export function stepSummary(step: TransferStep, from: string, to: string): string {
	switch (step) {
		case 'withdrawing':
			return `Withdrawing at ${from}…`;
		case 'depositing':
			return `Withdrawn at ${from}; depositing at ${to}…`;
		case 'expiring':
			return `${to} did not take the deposit; closing it there before refunding…`;
		case 'refunding':
			return `Refunding the money at ${from}…`;
		case 'completed':
			return `The money left ${from} and arrived at ${to}.`;
		case 'compensated':
			return `${to} did not take the deposit, so the money went back to ${from}.`;
		case 'rejected':
			return `${from} refused the withdrawal: no money moved.`;
		case 'attention':
			return 'Stopped part way: someone needs to look at this transfer.';
	}
}
