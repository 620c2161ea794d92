import { PublishedContracts, type EventEnvelope, type NewEvent } from '@eventloom/core';
import { describe, expect, it } from 'vitest';
import { CategoryCreated, CategoryDeleted, CategoryRenamed } from '../catalog/events.ts';
import orders from '../index.ts';

const stored = (event: NewEvent): EventEnvelope => ({
  ...event,
  id: '0190a0a0-0000-7000-8000-000000000001',
  schemaVersion: event.schemaVersion ?? 1,
  stream: 'catalog',
  version: 3,
  occurredAt: '2026-01-31T12:00:00.000Z',
  who: 'admin',
  correlationId: 'cor',
  causationId: 'cmd',
});

describe("orders' contract types", () => {
  const contracts = new PublishedContracts(orders);

  it('publish CategoryCreated and CategoryRenamed exactly as the internal events were published', () => {
    for (const event of [CategoryCreated({ categoryId: 4, name: 'Noir' }), CategoryRenamed({ categoryId: 4, name: 'Film noir', previousName: 'Noir' })]) {
      const entry = stored(event);
      expect(contracts.contractOf(entry.type)?.from, entry.type).toBe(event.type === 'CategoryCreated' ? CategoryCreated : CategoryRenamed);
      expect(JSON.stringify(contracts.toPublished(entry))).toBe(JSON.stringify(entry));
    }
  });

  it('still publish CategoryDeleted as the internal event itself', () => {
    const entry = stored(CategoryDeleted({ categoryId: 4, name: 'Noir' }));
    expect(contracts.contractOf('CategoryDeleted')?.event).toBe(CategoryDeleted);
    expect(contracts.toPublished(entry)).toEqual(entry);
  });
});
