import { header, type Answer } from './gateway.ts';

/** A hostile request whose answer was not the one it must get. */
export interface Mismatch {
  kind: string;
  request: string;
  expected: string;
  got: string;
}

/** How many hostile requests of each kind were sent and answered as they must be. */
export interface HostileCount {
  sent: number;
  asExpected: number;
}

const keptExamples = 40;

/** Every hostile request's verdict: counts per kind, and the first mismatches in full. */
export class HostileLog {
  readonly kinds = new Map<string, HostileCount>();
  readonly mismatches: Mismatch[] = [];
  mismatchCount = 0;

  /** Records one verdict; `ok` says whether the answer was the one expected. */
  judge(kind: string, request: string, expected: string, answer: Answer, ok: boolean): boolean {
    const count = this.kinds.get(kind) ?? { sent: 0, asExpected: 0 };
    count.sent++;
    if (ok) count.asExpected++;
    this.kinds.set(kind, count);
    if (!ok) {
      this.mismatchCount++;
      if (this.mismatches.length < keptExamples) this.mismatches.push({ kind, request, expected, got: describe(answer) });
    }
    return ok;
  }
}

/** An answer in a line: status, Retry-After, Connection, the start of the body or the network error. */
export function describe(answer: Answer): string {
  if (answer.status === 0) return `no answer (${answer.error})`;
  const extras = [
    header(answer, 'retry-after') ? `Retry-After: ${header(answer, 'retry-after')}` : '',
    header(answer, 'connection') === 'close' ? 'Connection: close' : '',
    answer.streamed ? 'an event stream was opened' : answer.text.slice(0, 160),
  ].filter(Boolean);
  return `${answer.status} ${extras.join(' ')}`.trim();
}
