/**
 * RFC 7807 problem details. Every error that reaches HTTP is one of these; the
 * `type` is a stable URI-ish name clients can switch on.
 */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  /** Field-level messages, keyed by dotted path (`amount`, `Details.0.Quantity`). */
  errors?: Record<string, string[]>;
  [extension: string]: unknown;
}

export class ProblemError extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.detail ?? problem.title);
    this.name = 'ProblemError';
    this.problem = problem;
  }
  get status(): number {
    return this.problem.status;
  }
}

/** Problem types are this base plus a short code (`validation`, `insufficient-funds`). */
export const problemBase = 'https://eventloom.dev/problems/';
const base = problemBase;

/** A problem of any status, for the few cases `problems` does not name. */
export function problem(status: number, code: string, title: string, detail?: string): ProblemError {
  return new ProblemError({ type: `${base}${code}`, title, status, ...(detail ? { detail } : {}) });
}

export const problems = {
  validation: (errors: Record<string, string[]>, detail = 'The request has invalid fields.') =>
    new ProblemError({ type: `${base}validation`, title: 'Invalid request', status: 400, detail, errors }),
  malformed: (detail: string) =>
    new ProblemError({ type: `${base}malformed`, title: 'Malformed request', status: 400, detail }),
  unauthorized: (detail = 'Sign in or send a bearer token.') =>
    new ProblemError({ type: `${base}unauthorized`, title: 'Unauthorized', status: 401, detail }),
  forbidden: (detail: string) =>
    new ProblemError({ type: `${base}forbidden`, title: 'Forbidden', status: 403, detail }),
  notFound: (detail: string) =>
    new ProblemError({ type: `${base}not-found`, title: 'Not found', status: 404, detail }),
  conflict: (detail: string, extra: Record<string, unknown> = {}) =>
    new ProblemError({ type: `${base}conflict`, title: 'Conflict', status: 409, detail, ...extra }),
  tooLarge: (limit: number) =>
    new ProblemError({ type: `${base}too-large`, title: 'Payload too large', status: 413, detail: `The body is larger than ${limit} bytes.` }),
  /** A domain rule refused the command (e.g. insufficient funds). */
  rejected: (code: string, detail: string, field?: string) =>
    new ProblemError({
      type: `${base}${code}`,
      title: 'Command rejected',
      status: 422,
      detail,
      ...(field ? { errors: { [field]: [detail] } } : {}),
    }),
  /** A quota was used up; `retryAfterSeconds` becomes the Retry-After header. */
  tooMany: (quota: string, detail: string, retryAfterSeconds: number) =>
    new ProblemError({ type: `${base}quota-exceeded`, title: 'Too many requests', status: 429, detail, quota, retryAfterSeconds: Math.max(1, Math.ceil(retryAfterSeconds)) }),
  /** A body in a Content-Encoding the server does not decode (RFC 7694: answer which it takes). */
  unsupportedEncoding: (encoding: string) =>
    new ProblemError({
      type: `${base}unsupported-encoding`,
      title: 'Unsupported content encoding',
      status: 415,
      detail: `The body is sent as ${JSON.stringify(encoding.slice(0, 64))}; send it uncompressed.`,
      acceptEncoding: 'identity',
    }),
  unavailable: (detail: string, retryAfterSeconds = 1) =>
    new ProblemError({ type: `${base}unavailable`, title: 'Service unavailable', status: 503, detail, retryAfterSeconds }),
};

/** Turns zod issues into the `errors` map of a validation problem. */
export function issuesToErrors(issues: ReadonlyArray<{ path: PropertyKey[]; message: string; code?: string; keys?: string[] }>): Record<string, string[]> {
  // No prototype: a field named `constructor` or `toString` is a field like any other.
  const errors: Record<string, string[]> = Object.create(null);
  const add = (path: PropertyKey[], message: string) => {
    const key = path.map(String).join('.') || '(body)';
    (errors[key] ??= []).push(message);
  };
  for (const issue of issues) {
    // An unknown field is reported at the field itself, so a form can show it there.
    if (issue.code === 'unrecognized_keys' && issue.keys?.length) {
      for (const key of issue.keys) add([...issue.path, key], 'is not a known field');
    } else {
      add(issue.path, issue.message);
    }
  }
  return errors;
}
