/** Opaque page cursors: the base64url of the last row's sequence number. */
export function encodeCursor(seq: number): string {
  return Buffer.from(String(seq), 'utf8').toString('base64url');
}

/** The sequence number in a cursor, or null when the cursor is not one of ours. */
export function decodeCursor(cursor: string | undefined): number | null {
  if (cursor === undefined) return null;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^\d{1,15}$/.test(text)) return null;
  return Number(text);
}

/** Thrown for a cursor that was not produced by this service; the API answers 400. */
export class InvalidCursorError extends Error {
  constructor() {
    super('The cursor is not valid: pass the nextCursor of a previous page');
    this.name = 'InvalidCursorError';
  }
}

export function cursorSeq(cursor: string | undefined): number | null {
  if (cursor === undefined) return null;
  const seq = decodeCursor(cursor);
  if (seq === null) throw new InvalidCursorError();
  return seq;
}
