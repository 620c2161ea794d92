/** What the banking API answers, as the portal's pages and components use it. */
import type { components } from '@eventloom/client';

export interface BankTotal {
	bank: string;
	bankName: string;
	totalCents: number;
	accounts: number;
}

export interface Balance {
	customer: string;
	bank: string;
	bankName: string;
	balanceCents: number;
	transactions: number;
	openedAt: string;
	lastType?: string;
	lastAmountCents?: number;
	lastAt?: string;
	lastEventId?: string;
}

export const eventTypes = ['AccountOpened', 'Deposited', 'Withdrawn', 'Voided'] as const;
export type EventType = (typeof eventTypes)[number];

/** A row of the event log, as the gateway documents it (its types include freezes and transfer outcomes). */
export type LogEntry = components['schemas']['BankingLogEntry'];

/** The event log's filters as the events page holds them ('' = not filtered). */
export interface LogFilters {
	customer: string;
	bank: string;
	type: string;
	/** ISO instants. */
	from: string;
	to: string;
}

export interface LogPage {
	items: LogEntry[];
	cursor?: string;
}

export interface Customer {
	customer: string;
	totalCents: number;
	accounts: Balance[];
	recent: LogEntry[];
}

export interface BalanceAsOf {
	bank: string;
	bankName: string;
	opened: boolean;
	balanceCents: number;
	version: number;
}

export interface CustomerAsOf {
	customer: string;
	asOf: string;
	totalCents: number;
	accounts: BalanceAsOf[];
}

export interface EventDetail {
	event: {
		id: string;
		type: string;
		schemaVersion: number;
		stream: string;
		version: number;
		occurredAt: string;
		who: string;
		correlationId: string;
		causationId: string;
		data: Record<string, unknown>;
	};
	log: LogEntry;
}

export type TransactionType = 'deposit' | 'withdraw' | 'void';

export interface TransactionReply {
	commandId: string;
	status: 'accepted' | 'applied';
	duplicate: boolean;
	balanceAfterCents?: number;
	events: { id: string; type: string; occurredAt: string }[];
}

/** Where a cross-bank transfer stands; the last three (and `attention`) are final. */
export const transferSteps = ['withdrawing', 'depositing', 'expiring', 'refunding', 'completed', 'compensated', 'rejected', 'attention'] as const;
export type TransferStep = (typeof transferSteps)[number];

export interface TransferAccount {
	customer: string;
	bank: string;
}

export interface TransferStatus {
	transferId: string;
	step: TransferStep;
	done: boolean;
	/** Why it did not complete: a refusal code (`account-frozen`, `insufficient-funds`), or `timeout`. */
	reason?: string;
	detail?: string;
	from: TransferAccount;
	to: TransferAccount;
	amountCents: number;
	requestedBy: string;
	correlationId: string;
	statusUrl: string;
	duplicate?: boolean;
	/** Each input the transfer met (`start`, `withdraw accepted`, `timer depositTimeout`) and the step it led to. */
	timeline: { at: string; input: string; step: string }[];
}

/** A row of the transfers list, which follows each transfer a moment behind its status. */
export interface TransferSummary {
	transferId: string;
	step: TransferStep;
	done: boolean;
	reason?: string;
	detail?: string;
	fromCustomer: string;
	fromBank: string;
	toCustomer: string;
	toBank: string;
	amountCents: number;
	requestedBy: string;
	startedAt: string;
	updatedAt: string;
	correlationId: string;
}

export interface TransferPage {
	items: TransferSummary[];
	cursor?: string;
}

/** An event's journey: accepted, stored, placed, applied by each projection, delivered to each webhook. */
export type EventJourney = components['schemas']['EventJourney'];
