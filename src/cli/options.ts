import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';

/** Option parsers shared by the commands; a bad value is a usage error (exit 2). */

/** Parses an integer within [min, max]. */
export function integerIn(min: number, max: number) {
  return (raw: string): number => {
    const value = Number(raw);
    if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}.`);
    }
    return value;
  };
}

/** Parses a positive number (seconds may be fractional). */
export function positiveNumber(raw: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError('expected a positive number.');
  }
  return value;
}

/**
 * Lists every value of a string-literal union, checked by the compiler: a value missing from
 * the list (say the spec gains a status) fails type-checking.
 */
export function allValues<T extends string>() {
  return <const A extends readonly T[]>(...values: A & ([T] extends [A[number]] ? unknown : never)): A => values;
}

/** Parses one of `values`. */
export function oneOf<T extends string>(values: readonly T[]) {
  return (raw: string): T => {
    const found = values.find((value) => value === raw);
    if (found === undefined) throw new InvalidArgumentError(`expected one of ${values.join(', ')}.`);
    return found;
  };
}

/** The page-size option's parser (the API accepts 1 to 100). */
export const pageSize = integerIn(1, 100);

/** What {@link withPaging} adds to a list command's options. */
export interface PagingOptions {
  limit?: number;
  cursor?: string;
  all?: boolean;
}

/** The options every list command has: `--limit`, `--cursor`, `--all`. */
export function withPaging(command: Command): Command {
  return command
    .option('--limit <n>', 'page size (1-100; the server default is 50)', pageSize)
    .option('--cursor <cursor>', 'start at this page (a nextCursor from --json output)')
    .option('--all', 'follow nextCursor and list every page');
}

/** One page of a cursor-paginated list. */
export interface Page<T> {
  items: T[];
  nextCursor?: string | null;
}

/**
 * Reads one page, or with `all` every page following `nextCursor`, and returns them as one
 * page (`nextCursor` null when all were read).
 */
export async function readPages<T>(
  fetchPage: (cursor: string | undefined) => Promise<Page<T>>,
  options: { all: boolean; cursor?: string | undefined },
): Promise<{ items: T[]; nextCursor: string | null }> {
  const items: T[] = [];
  let cursor = options.cursor;
  for (;;) {
    const page = await fetchPage(cursor);
    items.push(...page.items);
    const next = page.nextCursor ?? null;
    if (!options.all || next === null) return { items, nextCursor: next };
    if (next === cursor) throw new Error(`AgentKit returned the same nextCursor twice (${next}); stopping.`);
    cursor = next;
  }
}
