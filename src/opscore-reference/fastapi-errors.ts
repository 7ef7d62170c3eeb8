/**
 * Ops-Core is FastAPI: its errors are `{"detail": "text"}`, and request validation failures are
 * 422 `{"detail": [{"type", "loc", "msg"}]}` with pydantic v2's error types and messages. This
 * module turns express-openapi-validator's errors into that shape.
 */

export interface FastApiIssue {
  type: string;
  loc: Array<string | number>;
  msg: string;
}

export interface FastApiValidationBody {
  detail: FastApiIssue[];
}

/** One error as express-openapi-validator reports it. */
export interface ValidatorIssue {
  path: string;
  message: string;
  errorCode?: string;
}

const LOCATION: Record<string, string> = { body: 'body', headers: 'header', params: 'path', query: 'query' };

/** `/body/agent_details/contactEndpoint` -> `["body", "agent_details", "contactEndpoint"]`. */
export function toLoc(path: string): Array<string | number> {
  const parts = path
    .split('/')
    .filter((p) => p !== '')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  return parts.map((part, i) => {
    if (i === 0) return LOCATION[part] ?? part;
    return /^\d+$/.test(part) ? Number(part) : part;
  });
}

/** pydantic's type for a JSON Schema `type` error, by the expected type. */
function typeError(message: string): [string, string] {
  if (/must be object/.test(message)) return ['dict_type', 'Input should be a valid dictionary'];
  if (/must be array/.test(message)) return ['list_type', 'Input should be a valid list'];
  if (/must be string/.test(message)) return ['string_type', 'Input should be a valid string'];
  if (/must be (integer|number)/.test(message)) return ['int_type', 'Input should be a valid integer'];
  if (/must be boolean/.test(message)) return ['bool_type', 'Input should be a valid boolean'];
  return ['value_error', `Value error, ${message}`];
}

export function toFastApiIssue(issue: ValidatorIssue): FastApiIssue {
  const loc = toLoc(issue.path);
  const field = String(loc.at(-1) ?? '');
  const code = (issue.errorCode ?? '').split('.')[0] ?? '';
  const isUrl = field === 'contactEndpoint';
  const isTime = field === 'timestamp';
  let type: string;
  let msg: string;
  if (code === 'required') {
    [type, msg] = ['missing', 'Field required'];
  } else if (code === 'type') {
    // The request body itself is not an object: pydantic cannot read a model from it.
    [type, msg] = loc.length === 1 && loc[0] === 'body' ? ['model_attributes_type', 'Input should be a valid dictionary or object to extract fields from'] : typeError(issue.message);
  } else if (isUrl && code === 'maxLength') {
    [type, msg] = ['url_too_long', 'URL should have at most 2083 characters'];
  } else if (isUrl) {
    [type, msg] = ['url_parsing', 'Input should be a valid URL, relative URL without a base'];
  } else if (isTime) {
    [type, msg] = ['datetime_from_date_parsing', 'Input should be a valid datetime or date, invalid character in year'];
  } else if (code === 'minLength') {
    [type, msg] = ['string_too_short', issue.message.replace(/^must NOT have fewer than (\d+) characters?$/, 'String should have at least $1 character')];
  } else if (code === 'maxLength') {
    [type, msg] = ['string_too_long', issue.message.replace(/^must NOT have more than (\d+) characters?$/, 'String should have at most $1 characters')];
  } else {
    [type, msg] = ['value_error', `Value error, ${issue.message}`];
  }
  return { type, loc, msg };
}

/** The 422 body for a list of validator errors. */
export function validationBody(issues: ValidatorIssue[]): FastApiValidationBody {
  return { detail: issues.map(toFastApiIssue) };
}
