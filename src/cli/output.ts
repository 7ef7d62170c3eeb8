import Table from 'cli-table3';

/**
 * Output for people (tables) and for scripts (`--json`, the API's JSON as it came).
 * Results go to stdout; messages and hints go to stderr so that stdout stays parseable.
 */

/** Prints a value as indented JSON on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

function colourful(): boolean {
  return process.stdout.isTTY === true && !process.env.NO_COLOR;
}

/** Prints rows under a header as a table on stdout, or `empty` when there are no rows. */
export function printTable(head: readonly string[], rows: readonly (readonly string[])[], empty: string): void {
  if (rows.length === 0) {
    process.stdout.write(`${empty}\n`);
    return;
  }
  const table = new Table({
    head: [...head],
    style: { head: colourful() ? ['cyan'] : [], border: [] },
  });
  for (const row of rows) table.push([...row]);
  process.stdout.write(`${table.toString()}\n`);
}

/** Prints one object as a two-column (field, value) table on stdout. */
export function printRecord(entries: readonly (readonly [string, string])[]): void {
  const table = new Table({
    style: { head: [], border: [] },
    // No rule between rows: a record reads as one block.
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const [key, value] of entries) table.push({ [key]: value });
  process.stdout.write(`${table.toString()}\n`);
}

/** Writes a message for people on stderr (hints, confirmations that are not results). */
export function note(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** A cell for an optional value: `-` when absent. */
export function cell(value: string | number | null | undefined): string {
  return value === null || value === undefined || value === '' ? '-' : String(value);
}

/** A timestamp without milliseconds, e.g. `2026-11-24T08:15:00Z`; `-` when absent. */
export function time(value: string | null | undefined): string {
  if (!value) return '-';
  return value.replace(/\.\d+Z$/, 'Z');
}

/** Any JSON value on one line, shortened to `max` characters for list cells. */
export function jsonCell(value: unknown, max = Number.POSITIVE_INFINITY): string {
  if (value === undefined) return '-';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > max ? `${text.slice(0, Math.max(0, max - 1))}…` : text;
}

/** Any JSON value, indented, for record cells. */
export function jsonBlock(value: unknown): string {
  if (value === undefined) return '-';
  return JSON.stringify(value, null, 2) ?? String(value);
}
