/** Errors the use-cases raise; the HTTP layer turns each into a problem+json answer. */
export class DomainError extends Error {
  constructor(
    readonly kind: 'not-found' | 'conflict' | 'invalid' | 'forbidden' | 'unprocessable' | 'too-many',
    message: string,
    /** With `too-many`: when to try again, seconds. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const notFound = (message: string) => new DomainError('not-found', message);
export const conflict = (message: string) => new DomainError('conflict', message);
export const invalid = (message: string) => new DomainError('invalid', message);
/** The caller is known but may not do this (another agent's task, a registration key re-registering an id). */
export const forbidden = (message: string) => new DomainError('forbidden', message);
/** Well-formed, but refused by a rule about what it names (an internal contactEndpoint). */
export const unprocessable = (message: string) => new DomainError('unprocessable', message);
/** A limit is reached (an agent's queue is full): try again after `retryAfterSeconds`. */
export const tooMany = (message: string, retryAfterSeconds: number) => new DomainError('too-many', message, retryAfterSeconds);
