/** What the gateway's /api/consumer-keys and /api/webhooks answer. */
export interface ConsumerKey {
	id: string;
	name: string;
	contexts: string[];
	hint: string;
	createdAt: string;
	createdBy: string;
	revokedAt?: string;
}

export interface DeliveryState {
	cursors: Record<string, number>;
	delivered: number;
	lastDeliveredAt?: string;
	failing?: { eventId: string; context: string; seq: number; attempts: number; nextAttemptAt: number; lastError: string; since: string };
}

export interface WebhookSubscription {
	id: string;
	url: string;
	contexts: string[];
	owner: string;
	keyId?: string;
	/** Per context: the feed seq deliveries started after. */
	start?: Record<string, number>;
	createdAt: string;
	state?: DeliveryState;
	/** Per context: entries after its cursor and how long the oldest undelivered published event has waited. */
	lag?: { context: string; events: number; seconds: number }[];
}

export interface DeliveryAttempt {
	eventId: string;
	context: string;
	seq: number;
	type: string;
	stream: string;
	attempt: number;
	ok: boolean;
	status: number;
	latencyMs: number;
	error?: string;
	at: string;
}
