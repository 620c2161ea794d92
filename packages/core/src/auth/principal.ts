/** Who is calling. Set by the gateway's auth middleware from a verified token. */
export type Role = 'owner' | 'admin' | 'consumer';

export interface Principal {
  /** Subject: a user id (`owner.firstcitizens`) or a consumer key id. */
  sub: string;
  role: Role;
  /** Set for owners: the bank they own (and may transact at). */
  bank?: string;
  /** Set for consumers: the contexts their key is scoped to. */
  contexts?: string[];
  name?: string;
}
