import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '@agentkit/sdk';

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

/** Whatever no route took (e.g. the request target `*`) is FastAPI's 404. */
export const fastApiNotFound: RequestHandler = (_req, res) => {
  res.status(404).json({ detail: 'Not Found' });
};

/** Every error as FastAPI would answer it: its statuses, `{"detail": ...}`, 422 lists for invalid requests. */
export function fastApiErrors(logger: Logger): ErrorRequestHandler {
  return (err: unknown, _req, res, _next) => {
    const status = (err as { status?: unknown }).status;
    const issues = (err as { errors?: ValidatorIssue[] }).errors;
    if (status === 404) return res.status(404).json({ detail: 'Not Found' });
    if (status === 405) return res.status(405).json({ detail: 'Method Not Allowed' });
    if (status === 413) return res.status(413).json({ detail: 'Request Entity Too Large' });
    if ((status === 400 || status === 415) && Array.isArray(issues)) return res.status(422).json(validationBody(issues));
    // Other client errors raised before the routes (an undecodable Content-Encoding, a path that is
    // not valid percent-encoding): answered as such, with FastAPI's shape, not as a 500.
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return res.status(status).json({ detail: err instanceof Error && err.message ? err.message : 'Bad Request' });
    }
    logger.error({ err: err instanceof Error ? err.message : String(err), issues }, 'Reference Ops-Core failed');
    res.status(500).json({ detail: 'Internal Server Error' });
  };
}
