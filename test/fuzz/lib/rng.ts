import fc from 'fast-check';

/**
 * A small seeded random source (sfc32), so that a fuzz run is replayed exactly from its seed.
 * fast-check is used for values it generates well (arbitrary JSON, Unicode strings), each
 * draw seeded from this stream.
 */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(readonly seed: number) {
    this.#a = 0x9e3779b9;
    this.#b = 0x243f6a88;
    this.#c = 0xb7e15162;
    this.#d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.next();
  }

  /** A float in [0, 1). */
  next(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** Picks by weight: `[[weight, value], ...]`. */
  weighted<T>(entries: ReadonlyArray<readonly [number, T]>): T {
    const total = entries.reduce((s, [w]) => s + w, 0);
    let r = this.next() * total;
    for (const [w, v] of entries) {
      r -= w;
      if (r < 0) return v;
    }
    return entries[entries.length - 1]![1];
  }

  /** A hex string of `n` characters. */
  hex(n: number): string {
    let s = '';
    while (s.length < n) s += Math.floor(this.next() * 16).toString(16);
    return s;
  }

  /** A version-4 shaped UUID drawn from this stream. */
  uuid(): string {
    const h = this.hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[this.int(0, 3)]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }

  /** One value of a fast-check arbitrary, seeded from this stream. */
  sample<T>(arbitrary: fc.Arbitrary<T>): T {
    return fc.sample(arbitrary, { seed: this.int(0, 0x7fffffff), numRuns: 1 })[0]!;
  }
}

/** The seed of this run: FUZZ_SEED when set, else a fresh one (printed, so a failure can be replayed). */
export function runSeed(): number {
  const given = process.env.FUZZ_SEED;
  if (given !== undefined && given.trim() !== '') {
    const n = Number(given);
    if (!Number.isInteger(n) || n < 0) throw new Error(`FUZZ_SEED must be a non-negative integer, got "${given}"`);
    return n >>> 0;
  }
  return Math.floor(Math.random() * 0x7fffffff);
}

/** How many requests to send to a target: FUZZ_REQUESTS when set, else `fallback`. */
export function requestBudget(fallback: number): number {
  const given = process.env.FUZZ_REQUESTS;
  if (given === undefined || given.trim() === '') return fallback;
  const n = Number(given);
  if (!Number.isInteger(n) || n < 10) throw new Error(`FUZZ_REQUESTS must be an integer of at least 10, got "${given}"`);
  return n;
}
