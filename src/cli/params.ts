import { UsageError } from './errors.js';

/**
 * Builds a task's `parameters` from `--params-json '{...}'` and repeated `--param key=value`.
 *
 * A value is parsed as JSON when it is valid JSON (`n=3` gives 3, `flag=true` gives true,
 * `o={"a":1}` an object), else kept as a string (`name=bob`). Keys are taken as they are
 * (`a.b=1` sets the key "a.b"). A key given twice, in either form, is a usage error.
 */
export function buildParameters(pairs: readonly string[], paramsJson: string | undefined): Record<string, unknown> {
  const parameters: Record<string, unknown> = {};
  if (paramsJson !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(paramsJson);
    } catch (error) {
      throw new UsageError(`--params-json is not valid JSON: ${(error as Error).message}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new UsageError('--params-json must be a JSON object, e.g. \'{"message":"hello"}\'.');
    }
    Object.assign(parameters, parsed);
  }
  for (const pair of pairs) {
    const equals = pair.indexOf('=');
    if (equals <= 0) throw new UsageError(`--param expects key=value, got ${JSON.stringify(pair)}.`);
    const key = pair.slice(0, equals);
    if (Object.hasOwn(parameters, key)) throw new UsageError(`Parameter "${key}" is given more than once.`);
    parameters[key] = parseValue(pair.slice(equals + 1));
  }
  return parameters;
}

function parseValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}
