/** Errors the use-cases raise; the HTTP layer turns each into a problem+json answer. */
export class DomainError extends Error {
  constructor(
    readonly kind: 'not-found' | 'conflict' | 'invalid' | 'forbidden' | 'unprocessable',
    message: string,
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
