import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * What the agent sends AgentKit as its Bearer token: the key it registers with, until the
 * registration returns the agent's own credential (`agentToken`). With a credential file the
 * agent keeps that credential across restarts, since a registration key may not register an
 * id that exists again.
 */
export class AgentCredential {
  readonly #apiKey: string;
  readonly #file: string | null;
  #token: string;
  #kept: boolean;

  constructor(apiKey: string, given: string | null, file: string | null) {
    this.#apiKey = apiKey;
    this.#file = file;
    const kept = given === null && file !== null && existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
    this.#token = given ?? (kept || apiKey);
    this.#kept = kept !== '';
  }

  get token(): string {
    return this.#token;
  }

  /**
   * AgentKit refused the kept credential (the agent was deregistered meanwhile, or its
   * credential replaced): go back to the key. False when there is nothing to go back to.
   */
  dropKept(): boolean {
    if (!this.#kept || !this.#apiKey) return false;
    this.#token = this.#apiKey;
    this.#kept = false;
    return true;
  }

  /** The registration issued a credential: use it from now on, and keep it in the file. */
  issued(token: string): void {
    this.#token = token;
    this.#kept = false;
    if (this.#file !== null) {
      mkdirSync(dirname(this.#file), { recursive: true });
      writeFileSync(this.#file, `${token}\n`, { mode: 0o600 });
    }
  }
}
