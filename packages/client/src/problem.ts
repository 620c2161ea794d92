/**
 * RFC 7807 problem details as the gateway answers every refusal, and the error
 * the client throws for them: every non-2xx answer becomes a ProblemError.
 */
import type { components } from './gateway-types.ts';

export type Problem = components['schemas']['Problem'];

/** Field name → messages, for validation failures. */
export type FieldErrors = Record<string, string[]>;

export class ProblemError extends Error {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string | undefined;
  /** Field errors of a validation failure (400/422); empty when the problem names none. */
  readonly errors: FieldErrors;
  /** The whole problem, extension members included. */
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(problem.detail ?? problem.title);
    this.name = 'ProblemError';
    this.type = problem.type;
    this.title = problem.title;
    this.status = problem.status;
    this.detail = problem.detail;
    this.errors = problem.errors ?? {};
    this.problem = problem;
  }

  /** The code at the end of the problem type (`insufficient-funds` for …/problems/insufficient-funds). */
  get code(): string {
    return this.type.split('/').pop() ?? this.type;
  }

  /** Reads a refused response as a problem; what the body lacks comes from the HTTP status. */
  static async of(response: Response): Promise<ProblemError> {
    const text = await response.text().catch(() => '');
    let body: unknown = undefined;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    const problem = toProblem(body, response.status, response.statusText);
    if (problem.detail === undefined && body === undefined && text) problem.detail = text.slice(0, 300);
    return new ProblemError(problem);
  }
}

/** Reads an unknown JSON body as a problem; fills what is missing from the HTTP status. */
export function toProblem(body: unknown, status: number, statusText = ''): Problem {
  const source = isRecord(body) ? body : {};
  const problem: Problem = {
    ...source,
    type: typeof source.type === 'string' ? source.type : 'about:blank',
    title: typeof source.title === 'string' ? source.title : statusText || `HTTP ${status}`,
    status: typeof source.status === 'number' ? source.status : status,
  };
  if (typeof source.detail !== 'string') delete problem.detail;
  const errors = toFieldErrors(source.errors);
  if (Object.keys(errors).length > 0) problem.errors = errors;
  else delete problem.errors;
  return problem;
}

/**
 * Normalises the `errors` member of a problem into field → messages. Accepts the
 * documented shape (`{ by: ['…'] }`) and a single string per field; anything else
 * is dropped rather than shown as "[object Object]".
 */
export function toFieldErrors(errors: unknown): FieldErrors {
  if (!isRecord(errors)) return {};
  const fields: FieldErrors = {};
  for (const [field, value] of Object.entries(errors)) {
    const messages = (Array.isArray(value) ? value : [value]).filter((message): message is string => typeof message === 'string' && message.length > 0);
    if (messages.length > 0) fields[field] = messages;
  }
  return fields;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
