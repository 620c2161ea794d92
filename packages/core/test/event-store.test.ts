import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventMetadata } from '../src/events/envelope.ts';
import { claimName, inlineDataLimit, type EventColumns } from '../src/store/codec.ts';
import { ConcurrencyError, DuplicateCommandError, EventStore } from '../src/store/event-store.ts';
import type { Storage } from '../src/store/storage.ts';
import { config, sleep, storageOf } from './helpers.ts';

let storage: Storage;
let store: EventStore;

const meta = (over: Partial<EventMetadata> = {}): EventMetadata => ({ who: 'user.one', correlationId: 'corr-1', causationId: 'cmd-1', ...over });

beforeAll(async () => {
  storage = storageOf(config('estore'));
  store = new EventStore(storage, 'ledger');
  await store.ready();
});

afterAll(async () => {
  for (const name of await storage.listTables()) if (name.startsWith(storage.prefix)) await storage.deleteTable(name);
});

describe('event store on Azure Table', () => {
  it('appends events and reads them back with every envelope field', async () => {
    const occurredAt = '2024-05-01T10:00:00.000Z';
    const written = await store.append(
      'account-1',
      0,
      [
        { type: 'AccountOpened', data: { owner: 'ann' } },
        { type: 'Deposited', data: { amount: 12.5, note: 'first' }, schemaVersion: 2 },
      ],
      meta({ occurredAt }),
    );
    expect(written.map((e) => e.version)).toEqual([1, 2]);
    const read = await store.read('account-1');
    expect(read).toEqual(written);
    const [opened, deposited] = read;
    expect(opened).toMatchObject({
      type: 'AccountOpened',
      schemaVersion: 1,
      stream: 'account-1',
      version: 1,
      occurredAt,
      who: 'user.one',
      correlationId: 'corr-1',
      causationId: 'cmd-1',
      data: { owner: 'ann' },
    });
    expect(deposited).toMatchObject({ type: 'Deposited', schemaVersion: 2, version: 2, data: { amount: 12.5, note: 'first' } });
    // UUIDv7 ids, distinct, sortable by creation.
    expect(opened!.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(opened!.id < deposited!.id).toBe(true);
    expect(await store.head('account-1')).toBe(2);
    expect(await store.read('account-never')).toEqual([]);
  });

  it('moves a body over the inline limit to Blob (claim check) and reads it back intact', async () => {
    const big = { lines: Array.from({ length: 800 }, (_, i) => ({ i, text: `line ${i} ${'é✓'.repeat(10)} "quoted" \\ back` })) };
    expect(JSON.stringify(big).length).toBeGreaterThan(inlineDataLimit);
    const small = { ok: true };
    const [event, after] = await store.append('doc-1', 0, [{ type: 'Uploaded', data: big }, { type: 'Tagged', data: small }], meta());
    const rows: EventColumns[] = [];
    for await (const row of store.rowsAfter('doc-1', 0)) rows.push(row as EventColumns);
    expect(rows[0]!.claim).toBe(claimName(event!.id));
    expect(rows[0]!.data).toBeUndefined();
    expect(rows[1]!.claim).toBeUndefined();
    const blob = (await storage.container('ledger')).getBlockBlobClient(claimName(event!.id));
    expect(await blob.exists()).toBe(true);
    const read = await store.read('doc-1');
    expect(read[0]!.data).toEqual(big);
    expect(read[1]!.data).toEqual(small);
    expect(read[1]!.id).toBe(after!.id);
  });

  it('reads a stream as of a version and as of a time', async () => {
    const times = ['2024-01-01T00:00:00.000Z', '2024-01-02T00:00:00.000Z', '2024-01-03T00:00:00.000Z', '2024-01-04T00:00:00.000Z'];
    for (let i = 0; i < times.length; i++) {
      await store.append('tt-1', i, [{ type: 'Deposited', data: { amount: i + 1 } }], meta({ occurredAt: times[i]! }));
    }
    expect((await store.read('tt-1', { toVersion: 2 })).map((e) => e.version)).toEqual([1, 2]);
    expect((await store.read('tt-1', { fromVersion: 2, toVersion: 3 })).map((e) => e.version)).toEqual([2, 3]);
    expect((await store.read('tt-1', { asOf: new Date('2024-01-02T12:00:00Z') })).map((e) => e.version)).toEqual([1, 2]);
    // as of an instant includes the event at exactly that instant
    expect((await store.read('tt-1', { asOf: new Date(times[2]!) })).map((e) => e.version)).toEqual([1, 2, 3]);
    expect(await store.read('tt-1', { asOf: new Date('2023-12-31T00:00:00Z') })).toEqual([]);
    expect((await store.read('tt-1', { asOf: new Date('2030-01-01T00:00:00Z') })).length).toBe(4);
  });

  it('lets exactly one of 20 concurrent writers at the same expected version win; the rest get ConcurrencyError', async () => {
    const stream = 'race-1';
    for (let version = 0; version < 3; version++) {
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, w) => store.append(stream, version, [{ type: 'Raced', data: { w, version } }], meta())),
      );
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(19);
      for (const r of lost) {
        expect(r.reason).toBeInstanceOf(ConcurrencyError);
        expect((r.reason as ConcurrencyError).expectedVersion).toBe(version);
      }
      const events = await store.read(stream);
      expect(events).toHaveLength(version + 1);
      expect(events[version]!.id).toBe((won[0] as PromiseFulfilledResult<{ id: string }[]>).value[0]!.id);
    }
  });

  it('20 writers retrying on ConcurrencyError write versions 1..20 exactly once each', async () => {
    const stream = 'race-2';
    let conflicts = 0;
    const writer = async (w: number) => {
      for (;;) {
        const head = await store.head(stream);
        try {
          const [event] = await store.append(stream, head, [{ type: 'Raced', data: { w } }], meta());
          return event!.version;
        } catch (error) {
          if (!(error instanceof ConcurrencyError)) throw error;
          conflicts++;
          await sleep(Math.random() * 10);
        }
      }
    };
    const versions = await Promise.all(Array.from({ length: 20 }, (_, w) => writer(w)));
    expect([...versions].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(conflicts).toBeGreaterThan(0);
    const events = await store.read(stream);
    expect(events.map((e) => e.version)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(new Set(events.map((e) => (e.data as { w: number }).w)).size).toBe(20);
    expect(new Set(events.map((e) => e.id)).size).toBe(20);
  });

  it('refuses an idempotency key used twice with DuplicateCommandError and keeps one event', async () => {
    const stream = 'idem-1';
    await store.append(stream, 0, [{ type: 'Deposited', data: { amount: 5 } }], meta(), { idempotency: { key: 'deposit-42', commandId: 'cmd-a', request: 'r1' } });
    const second = store.append(stream, 1, [{ type: 'Deposited', data: { amount: 5 } }], meta(), { idempotency: { key: 'deposit-42', commandId: 'cmd-b', request: 'r1' } });
    await expect(second).rejects.toBeInstanceOf(DuplicateCommandError);
    const error = (await second.catch((e: unknown) => e)) as DuplicateCommandError;
    expect(error.record).toEqual({ key: 'deposit-42', who: 'user.one', request: 'r1', commandId: 'cmd-a', fromVersion: 1, toVersion: 1 });
    const events = await store.read(stream);
    expect(events).toHaveLength(1);
    // the same key at a stale version is still recognised as the duplicate, not a plain conflict
    await expect(
      store.append(stream, 0, [{ type: 'Deposited', data: { amount: 5 } }], meta(), { idempotency: { key: 'deposit-42', commandId: 'cmd-c', request: 'r1' } }),
    ).rejects.toBeInstanceOf(DuplicateCommandError);
    // a different key appends normally, and so does the same key from another caller
    await store.append(stream, 1, [{ type: 'Deposited', data: { amount: 6 } }], meta(), { idempotency: { key: 'deposit-43', commandId: 'cmd-d', request: 'r2' } });
    await store.append(stream, 2, [{ type: 'Deposited', data: { amount: 7 } }], meta({ who: 'user.two' }), { idempotency: { key: 'deposit-42', commandId: 'cmd-e', request: 'r3' } });
    expect(await store.read(stream)).toHaveLength(3);
    expect(await store.findIdempotency(stream, 'deposit-42', 'user.two')).toMatchObject({ commandId: 'cmd-e', who: 'user.two' });
  });

  it("stores and reads keys holding ' or -- literally (OData escaping)", async () => {
    const tricky = ["o'brien", "x' or '1'='1", "a' or PartitionKey ne 'b", 'semi--colon -- comment', "quote''twice", 'spaces and ünïcode ✓'];
    for (const stream of tricky) {
      const key = `key|${stream}`;
      await store.append(stream, 0, [{ type: 'Named', data: { stream } }], meta({ who: stream, correlationId: stream }), { idempotency: { key, commandId: stream, request: 'r' } });
      await store.append(stream, 1, [{ type: 'Named', data: { n: 2 } }], meta());
    }
    for (const stream of tricky) {
      const events = await store.read(stream);
      expect(events.map((e) => [e.stream, e.version])).toEqual([[stream, 1], [stream, 2]]);
      expect(events[0]!.data).toEqual({ stream });
      expect(events[0]!.who).toBe(stream);
      expect(await store.read(stream, { fromVersion: 2 })).toHaveLength(1);
      expect(await store.head(stream)).toBe(2);
      expect(await store.findIdempotency(stream, `key|${stream}`, stream)).toMatchObject({ commandId: stream, fromVersion: 1, toVersion: 1 });
      await expect(
        store.append(stream, 2, [{ type: 'Named', data: {} }], meta({ who: stream }), { idempotency: { key: `key|${stream}`, commandId: 'again', request: 'r' } }),
      ).rejects.toBeInstanceOf(DuplicateCommandError);
      await store.setRelayedVersion(stream, 2);
      expect(await store.relayedVersion(stream)).toBe(2);
    }
    // an injection attempt matches nothing else: a stream that does not exist reads empty
    expect(await store.read("nobody' or PartitionKey ne '")).toEqual([]);
    const markers = await store.markers.list();
    for (const stream of tricky) expect(markers.map((m) => m.stream)).toContain(stream);
    // the relay retires idle markers by exact key, quotes and all
    for (const marker of markers.filter((m) => tricky.includes(m.stream))) expect(await store.markers.retire(marker)).toBe('retired');
    const left = (await store.markers.list()).map((m) => m.stream);
    for (const stream of tricky) expect(left).not.toContain(stream);
  });

  it('moves a retired stream\'s relayed cursor forward only: an older position written later is ignored', async () => {
    await store.setRelayedVersion('cursor-1', 5);
    await store.setRelayedVersion('cursor-1', 3);
    expect(await store.relayedVersion('cursor-1')).toBe(5);
    await store.setRelayedVersion('cursor-1', 8);
    expect(await store.relayedVersion('cursor-1')).toBe(8);
  });

  it.each(['a/b', 'a\\b', 'a#b', 'a?b', 'tab\there', ''])('refuses stream id %j with a clear RangeError', async (stream) => {
    await expect(store.append(stream, 0, [{ type: 'X', data: {} }], meta())).rejects.toThrow(RangeError);
    await expect(store.append(stream, 0, [{ type: 'X', data: {} }], meta())).rejects.toThrow(/stream id/);
    await expect(store.read(stream)).rejects.toThrow(RangeError);
  });
});
