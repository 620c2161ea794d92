/**
 * What the gateway adds to the document its routes generate, so that a team generating
 * a client from `/openapi.json` gets stable method names and typed errors without any
 * route spelling them out (issue 17): an `operationId` for every operation (derived from
 * its path, unless the route names one), the problem responses each operation can answer,
 * an example of each JSON body that shows none (openapi-examples.ts), the tags with their
 * descriptions, and the server it was fetched from.
 */

import { exampleOf } from './openapi-examples.ts';

type Json = Record<string, unknown>;

interface Operation {
  operationId?: string;
  tags?: string[];
  security?: unknown[];
  parameters?: { in?: string }[];
  requestBody?: { content?: Record<string, { schema?: Json; example?: unknown; examples?: unknown }> };
  responses?: Record<string, unknown>;
}

const methods = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

/** RFC 7807, as every error of the gateway is answered (packages/core/src/http/problem.ts). */
export const problemSchema = {
  type: 'object',
  description: 'RFC 7807 problem details. `type` ends with a stable code (`validation`, `insufficient-funds`); `errors` names the fields of a 400.',
  required: ['type', 'title', 'status'],
  properties: {
    type: { type: 'string', examples: ['https://eventloom.dev/problems/validation'] },
    title: { type: 'string' },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    detail: { type: 'string' },
    instance: { type: 'string' },
    errors: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } },
  },
  additionalProperties: true,
} as const;

const problemText: Record<string, string> = {
  '400': 'The request is malformed or has invalid fields (`errors` names them)',
  '401': 'No valid token (or it expired)',
  '403': "The token's role or scope does not allow this",
  '404': 'Nothing at this address',
  '409': 'It conflicts with what is stored (a busy stream, a reused key with other details)',
  '413': 'The body is too large',
  '415': 'The body is not JSON',
  '422': 'A rule refused it (`type` names the rule)',
  '429': 'Too many requests for this key; `Retry-After` says when to come back',
};

const pascal = (word: string) => word.replace(/(^|[-_.])([a-z0-9])/gi, (_, __, c: string) => c.toUpperCase());

/**
 * `{namespace}.{method}{Path}`: the namespace is the first segment under `/api` (a
 * context, `admin`, `webhooks`, …) or of the gateway's own area (`/auth/token` → `auth`;
 * a lone `/metrics` → `gateway`); path parameters read `By{Name}`. Stable as long as the
 * route's method and path are.
 */
export function operationIdOf(method: string, path: string): string {
  const segments = path.split('/').filter(Boolean);
  const underApi = segments[0] === 'api';
  if (underApi) segments.shift();
  const namespace = underApi || segments.length > 1 ? camel(segments.shift()!) : 'gateway';
  const rest = segments.map((segment) => (/^\{.+\}$/.test(segment) ? `By${pascal(segment.slice(1, -1))}` : pascal(segment))).join('');
  return `${namespace}.${method}${rest}`;
}

const camel = (word: string) => {
  const joined = pascal(word.replace(/^[^a-z0-9]+/i, ''));
  return joined.charAt(0).toLowerCase() + joined.slice(1);
};

/** The 4xx statuses an operation can answer, from what it takes and who may call it. */
function problemStatuses(method: string, path: string, operation: Operation): string[] {
  const statuses = new Set<string>(['429']);
  const takesInput = (operation.parameters?.length ?? 0) > 0 || operation.requestBody !== undefined;
  if (takesInput) statuses.add('400');
  const secured = operation.security === undefined || operation.security.some((scheme) => Object.keys(scheme as Json).length > 0);
  if (secured) {
    statuses.add('401');
    statuses.add('403');
  }
  if (path.includes('{')) statuses.add('404');
  if (operation.requestBody !== undefined) {
    statuses.add('413');
    statuses.add('415');
  }
  if (method !== 'get' && method !== 'head' && path.startsWith('/api/')) {
    statuses.add('409');
    statuses.add('422');
  }
  return [...statuses].sort();
}

export interface DocumentOptions {
  /** Where the document was fetched from: its only server. */
  origin: string;
  /** Tag → description (each context's title; the gateway's own areas). */
  tags: Record<string, string>;
}

/** The generated document with operation ids, problem responses, tags and the server. */
export function completeDocument(generated: Json, options: DocumentOptions): Json {
  const document = structuredClone(generated) as Json & { paths?: Record<string, Record<string, Operation>>; components?: Json };
  const seen = new Map<string, string>();
  const used = new Set<string>();
  const referenced = new Set<string>();
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of methods) {
      const operation = item[method];
      if (!operation) continue;
      operation.operationId ??= operationIdOf(method, path);
      // A context's route without a tag is listed under its context.
      const context = /^\/api\/([a-z0-9]+)\//.exec(path)?.[1];
      if ((operation.tags?.length ?? 0) === 0 && context && options.tags[context]) operation.tags = [context];
      const earlier = seen.get(operation.operationId);
      if (earlier) throw new Error(`operationId ${operation.operationId} of ${method.toUpperCase()} ${path} is also ${earlier}'s: name one of them`);
      seen.set(operation.operationId, `${method.toUpperCase()} ${path}`);
      operation.responses ??= {};
      for (const status of problemStatuses(method, path, operation)) {
        if (operation.responses[status]) continue;
        operation.responses[status] = { $ref: `#/components/responses/Problem${status}` };
        referenced.add(status);
      }
      for (const tag of operation.tags ?? []) used.add(tag);
      // A JSON body that shows no example gets one made from its schema.
      const body = operation.requestBody?.content?.['application/json'];
      if (body?.schema && body.example === undefined && body.examples === undefined) {
        const example = exampleOf(body.schema, (document.components?.schemas ?? {}) as Record<string, Json>);
        if (example !== undefined) body.example = example;
      }
    }
  }
  const components = (document.components ??= {}) as Json & { schemas?: Json; responses?: Json };
  components.schemas = { ...components.schemas, Problem: problemSchema };
  const responses: Json = { ...components.responses };
  for (const [status, description] of Object.entries(problemText)) {
    if (!referenced.has(status)) continue;
    responses[`Problem${status}`] = { description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
  }
  components.responses = responses;
  document.tags = [...used].sort().map((name) => ({ name, description: options.tags[name] ?? `Routes tagged ${name}` }));
  document.servers = [{ url: options.origin, description: 'The gateway this document came from' }];
  return document;
}
