/**
 * Seeded randomness. Every choice of a run (the workload, the schedule of crashes and
 * outages, each request's fault) is drawn from the seed, so a failing seed replays the
 * same plan. Streams are split by name: adding a draw in one place does not shift the
 * draws anywhere else.
 */
export class Random {
  private state: number;

  constructor(...seed: (string | number)[]) {
    this.state = hash32(seed.join('\u0000')) || 1;
  }

  /** A uniform number in [0, 1). */
  next(): number {
    // mulberry32
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from nothing');
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** One of the keys, with probability proportional to its weight. */
  weighted<K extends string>(weights: Record<K, number>): K {
    const entries = Object.entries(weights) as [K, number][];
    let roll = this.next() * entries.reduce((sum, [, w]) => sum + w, 0);
    for (const [key, weight] of entries) {
      roll -= weight;
      if (roll < 0) return key;
    }
    return entries[entries.length - 1]![0];
  }

  /** An independent stream for one purpose. */
  fork(...name: (string | number)[]): Random {
    return new Random(this.state, ...name);
  }
}

/** A draw in [0, 1) that depends only on its parts: the same parts, the same draw. */
export function draw(...parts: (string | number)[]): number {
  return new Random(...parts).next();
}

/** FNV-1a, 32 bits. */
function hash32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
