import { describe, expect, it } from 'vitest';
import { Progress } from '../src/context/progress.ts';

const notice = (entries: { id: string; seq: number; type: string }[]) => ({ context: 'bank', head: Math.max(...entries.map((e) => e.seq)), entries: entries.map((e) => ({ ...e, stream: 's' })) });

describe('waiting for views (Prefer: wait)', () => {
  it('does not wait for a projection that does not handle the command’s events: its view cannot change', async () => {
    const progress = new Progress('bank', [{ key: 'balances', handles: new Set(['Deposited']) }, { key: 'transfers', handles: new Set(['TransferStepped']) }], async () => 0);
    progress.onFeed(notice([{ id: 'e1', seq: 5, type: 'Deposited' }]));
    expect(progress.applied(['e1'])).toBe(false);
    progress.onView({ projection: 'balances', seq: 5 } as never);
    // The transfers runner is still at 0: it has nothing of e1 to show.
    expect(progress.applied(['e1'])).toBe(true);
    // An event it handles is waited for.
    progress.onFeed(notice([{ id: 'e2', seq: 6, type: 'TransferStepped' }]));
    progress.onView({ projection: 'balances', seq: 6 } as never);
    expect(progress.applied(['e2'])).toBe(false);
    progress.onView({ projection: 'transfers', seq: 6 } as never);
    expect(progress.applied(['e2'])).toBe(true);
  });

  it('waits for every projection when it does not know an event’s type', () => {
    const progress = new Progress('bank', [{ key: 'balances', handles: new Set(['Deposited']) }, { key: 'other' }], async () => 0);
    progress.onFeed(notice([{ id: 'e1', seq: 3, type: 'Deposited' }]));
    progress.onView({ projection: 'balances', seq: 3 } as never);
    expect(progress.applied(['e1'])).toBe(false);
    progress.onView({ projection: 'other', seq: 3 } as never);
    expect(progress.applied(['e1'])).toBe(true);
    // A notice without types (an older relay's): every projection is waited for.
    const typeless = new Progress('bank', [{ key: 'balances', handles: new Set(['Deposited']) }, { key: 'transfers', handles: new Set(['TransferStepped']) }], async () => 0);
    typeless.onFeed({ context: 'bank', head: 4, entries: [{ id: 'e9', seq: 4, stream: 's' }] } as never);
    typeless.onView({ projection: 'balances', seq: 4 } as never);
    expect(typeless.applied(['e9'])).toBe(false);
  });
});
