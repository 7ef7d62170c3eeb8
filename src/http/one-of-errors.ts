/**
 * Validation errors for a body that must match one of several schemas (`oneOf`) read badly: the
 * validator reports every branch's complaints at once ("must have required property 'task_name'",
 * "senderId must NOT have additional properties", ...). This keeps only the complaints of the
 * branch the body most looks like, so the answer says what to fix in the shape the caller meant.
 */

export interface BodyBranch {
  /** The schema's name, shown to the caller (e.g. `OpsCoreMessage`). */
  name: string;
  properties: ReadonlySet<string>;
  required: ReadonlySet<string>;
}

export interface ValidationIssue {
  path: string;
  message: string;
}

const ONE_OF = 'must match exactly one schema in oneOf';

/** The branch sharing the most top-level keys with `body` (the first on a tie). */
function closest(body: Record<string, unknown>, branches: readonly BodyBranch[]): BodyBranch {
  const keys = Object.keys(body);
  let best = branches[0]!;
  let bestScore = -1;
  for (const branch of branches) {
    const score = keys.filter((k) => branch.properties.has(k)).length;
    if (score > bestScore) [best, bestScore] = [branch, score];
  }
  return best;
}

/** Whether an issue at `/body/<property>...` belongs to `branch`'s validation. */
function belongsTo(issue: ValidationIssue, branch: BodyBranch): boolean {
  const property = issue.path.split('/')[2];
  if (property === undefined) return issue.message !== ONE_OF;
  if (issue.message === 'must NOT have additional properties') return !branch.properties.has(property);
  if (issue.message.startsWith('must have required property')) return branch.required.has(property);
  return branch.properties.has(property);
}

/**
 * The issues worth showing for `body`, and a sentence that names the shapes, or null when the
 * issues are not a oneOf failure of the body.
 */
export function explainOneOf(body: unknown, issues: readonly ValidationIssue[], branches: readonly BodyBranch[]): { detail: string; errors: ValidationIssue[] } | null {
  if (branches.length < 2 || !issues.some((i) => i.path === '/body' && i.message === ONE_OF)) return null;
  const names = branches.map((b) => b.name);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { detail: `The body must be a JSON object: ${names.join(' or ')}`, errors: [{ path: '/body', message: 'must be object' }] };
  }
  const record = body as Record<string, unknown>;
  // Keys that only one branch has, present for two branches at once: the body mixes the shapes.
  const owners = branches.map((b) => Object.keys(record).filter((k) => b.properties.has(k) && branches.every((o) => o === b || !o.properties.has(k))));
  if (owners.filter((keys) => keys.length > 0).length > 1) {
    const mixed = owners.map((keys, i) => (keys.length ? `${keys.map((k) => `\`${k}\``).join(', ')} (${branches[i]!.name})` : null)).filter(Boolean);
    const message = `mixes two shapes: ${mixed.join(' and ')}; send one of them`;
    return { detail: `The body ${message}`, errors: [{ path: '/body', message }] };
  }
  const branch = closest(record, branches);
  const seen = new Set<string>();
  const errors = issues.filter((i) => belongsTo(i, branch) && !seen.has(`${i.path} ${i.message}`) && seen.add(`${i.path} ${i.message}`));
  const listed = errors.map((e) => `${e.path} ${e.message}`).join('; ');
  return { detail: `The body is neither ${names.join(' nor ')}; read as ${branch.name}: ${listed}`, errors };
}

type Json = Record<string, unknown>;

/**
 * The branches of every request body in `spec` that is a `oneOf` of component schemas, by
 * `METHOD /openapi/route` (e.g. `POST /v1/agents/{agentId}/run`).
 */
export function oneOfBodies(spec: Json): Map<string, BodyBranch[]> {
  const schemas = ((spec.components as Json | undefined)?.schemas ?? {}) as Record<string, Json>;
  const resolve = (s: Json): Json => (typeof s.$ref === 'string' ? (schemas[s.$ref.replace('#/components/schemas/', '')] ?? {}) : s);
  const found = new Map<string, BodyBranch[]>();
  for (const [route, item] of Object.entries((spec.paths ?? {}) as Record<string, Json>)) {
    for (const [method, op] of Object.entries(item)) {
      const schema = ((((op as Json).requestBody as Json | undefined)?.content as Json | undefined)?.['application/json'] as Json | undefined)?.schema as Json | undefined;
      const oneOf = schema ? (resolve(schema).oneOf as Json[] | undefined) : undefined;
      if (!oneOf) continue;
      found.set(
        `${method.toUpperCase()} ${route}`,
        oneOf.map((branch) => {
          const s = resolve(branch);
          const name = typeof branch.$ref === 'string' ? branch.$ref.split('/').at(-1)! : String(s.title ?? 'object');
          return { name, properties: new Set(Object.keys((s.properties ?? {}) as Json)), required: new Set((s.required ?? []) as string[]) };
        }),
      );
    }
  }
  return found;
}
