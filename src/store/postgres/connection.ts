import { ConfigError } from '../../config/config.js';

/** Where a PostgreSQL store connects, split out of an `AGENTKIT_DB` URL. */
export interface PostgresTarget {
  /** The URL for the `pg` driver, without the `schema` and `options` parameters. */
  connectionString: string;
  /** The schema AgentKit's tables live in (created at start when missing); null: the server's default (`public`). */
  schema: string | null;
  /** Server `options` to send at connect (`-c name=value ...`), including the search_path for `schema`. */
  options: string | undefined;
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** True for the URLs that select the PostgreSQL store. */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/**
 * Reads the schema choice from the URL: `?schema=name`, or libpq's
 * `?options=-c search_path=name` (its first entry is the schema used). Schema names are
 * plain identifiers (letters, digits, underscores), so they need no quoting anywhere.
 */
export function parsePostgresUrl(raw: string): PostgresTarget {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('AGENTKIT_DB is not a valid postgres:// URL');
  }
  const explicit = url.searchParams.get('schema');
  const given = url.searchParams.get('options');
  url.searchParams.delete('schema');
  url.searchParams.delete('options');
  const fromOptions = given ? /(?:^|\s)(?:-c\s*|--)search_path=("?)([^\s,"]+)\1/.exec(given)?.[2] ?? null : null;
  const schema = explicit ?? fromOptions;
  if (schema !== null && !SCHEMA_NAME.test(schema)) {
    throw new ConfigError(`AGENTKIT_DB names the schema "${schema}": use letters, digits and underscores only (at most 63), starting with a letter or underscore`);
  }
  let options = given ?? undefined;
  if (explicit !== null) options = `${options ? `${options} ` : ''}-c search_path=${explicit}`;
  return { connectionString: url.toString(), schema, options };
}

/** The URL with any password masked, for logs and error messages. */
export function redactUrl(raw: string): string {
  return raw.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}
