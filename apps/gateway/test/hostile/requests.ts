/**
 * Hostile requests for each operation of an OpenAPI document: a caller, path, query,
 * headers and body, most of them plausible and at least one part surely wrong. Each
 * request carries the faults it was built with, so a test knows what it may expect.
 */
import fc from 'fast-check';
import { breakable, resolveRefs, toJson, violation, type Schema } from './schema.ts';
import { faultOf, oddJson, oddKey, oddString, plausible } from './values.ts';

export type Role = 'admin' | 'owner' | 'consumer';
const allRoles: Role[] = ['admin', 'owner', 'consumer'];
const allMethods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE'];

interface Param {
  in: 'path' | 'query' | 'header';
  name: string;
  required: boolean;
  schema: Schema;
}

export interface Operation {
  method: string;
  path: string;
  roles: Role[] | 'public';
  params: Param[];
  body?: { schema: Schema; required: boolean; types: string[] };
  /** Answers with an event stream: a request that gets through is cut at once. */
  streams: boolean;
  bodyLimit: number;
  /** Methods the path does not have. */
  otherMethods: string[];
  /** The statuses the document lists for it. */
  documented: string[];
}

/**
 * Where a fault is met: before authorization (the size limit, prototype keys, routing),
 * at authorization, or at validation. A request whose only faults are of one kind
 * may be held to an exact status (`status`).
 */
export interface Fault {
  stage: 'route' | 'auth' | 'input';
  why: string;
  status?: number;
}

export interface HostileRequest {
  method: string;
  /** Path and query as sent. */
  target: string;
  caller: Role | 'nobody';
  headers: Record<string, string>;
  body?: Buffer;
  chunked: boolean;
  faults: Fault[];
  /** A write whose body the document does not describe (a batch of anything): it may answer 2xx, still writing nothing. */
  opaque: boolean;
}

/** The operations of the document, `$ref`s resolved. */
export function operationsOf(document: any, bodyLimit: (path: string) => number): Operation[] {
  const components: Record<string, Schema> = document.components?.schemas ?? {};
  return Object.entries(document.paths as Record<string, Record<string, any>>).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]): Operation => {
      const content: Record<string, { schema: Schema }> = op.requestBody?.content ?? {};
      const json = content['application/json'];
      return {
        method: method.toUpperCase(),
        path,
        roles: op['x-roles'],
        params: (op.parameters ?? []).map((p: any) => ({ in: p.in, name: p.name, required: Boolean(p.required), schema: resolveRefs(p.schema ?? {}, components) })),
        ...(json ? { body: { schema: resolveRefs(json.schema, components), required: Boolean(op.requestBody.required), types: Object.keys(content) } } : {}),
        streams: Object.values(op.responses ?? {}).some((r: any) => 'text/event-stream' in (r.content ?? {})),
        bodyLimit: bodyLimit(path),
        otherMethods: allMethods.filter((m) => !(m.toLowerCase() in item)),
        documented: Object.keys(op.responses ?? {}),
      };
    }),
  );
}

/** Percent-encodes every byte but the unreserved ones, as a careful client would. */
export const percentEncode = (text: string) => [...Buffer.from(text, 'utf8')].map((b) => (/[A-Za-z0-9._~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');

/** Escapes a careless or hostile client sends as they are. */
const rawEscapes = ['%', '%zz', '%E0%A4%A', '%C0%AF', '%00', '%2F', 'a%2Fb', '..', '.', '%2e%2e', '%25', '%u0041'];

/** What the server may make of text sent raw: decoded, or left as it is when it does not decode. */
function readings(sent: string): string[] {
  try {
    return [sent, decodeURIComponent(sent)];
  } catch {
    return [sent];
  }
}

/** A path segment that is empty, a dot segment or holds a slash leads elsewhere (URLs resolve `..`): somewhere, surely not here. */
const reshapesPath = (value: string) => value === '' || /^(\.|%2e){1,2}$/i.test(value) || value.includes('/');

/** A value for a path or query parameter, and the fault in it if it surely has one. */
function textValue(param: Param, stage: Fault['stage']): fc.Arbitrary<{ sent: string; fault?: Fault }> {
  const surelyBroken = (values: string[]) => {
    if (param.in === 'path' && values.some(reshapesPath)) return { stage: 'route' as const, why: `path ${param.name}: ${JSON.stringify(values.at(-1))} leads elsewhere` };
    const whys = values.map((v) => violation(param.schema, v, 'text'));
    return whys.every(Boolean) ? { stage, why: `${param.in} ${param.name}: ${whys[0]}` } : undefined;
  };
  const encoded = (value: unknown) => {
    const text = String(value);
    // What the server decodes: lone surrogates arrive as U+FFFD.
    const received = Buffer.from(text, 'utf8').toString('utf8');
    return { sent: percentEncode(text), fault: surelyBroken([received]) };
  };
  // A long-poll must not hold the run: `wait`, when plausible, is 0.
  const fine = param.name === 'wait' ? fc.constant('0') : plausible(param.schema);
  const options = [{ weight: 3, arbitrary: fine.map(encoded) }];
  if (breakable(param.schema, 'text')) options.push({ weight: 3, arbitrary: faultOf(param.schema, 'text').map(encoded) });
  options.push({ weight: 1, arbitrary: fc.constantFrom(...rawEscapes).map((sent) => ({ sent, fault: surelyBroken(readings(sent)) })) });
  return fc.oneof(...options);
}

/** Who calls: a token of a role, or forged credentials (sent as they are). */
interface Credentials {
  caller: Role | 'nobody';
  authorization?: string;
  cookie?: string;
  fault?: Fault;
}

function callerOf(op: Operation): fc.Arbitrary<Credentials> {
  if (op.roles === 'public') return fc.constantFrom<Role | 'nobody'>('nobody', ...allRoles).map((caller) => ({ caller }));
  const fitting = fc.constantFrom(...op.roles).map((caller): Credentials => ({ caller }));
  const nobody = fc.constant({ caller: 'nobody' as const, fault: { stage: 'auth' as const, why: 'no token', status: 401 } });
  const forged = fc
    .oneof(
      fc.constantFrom('Bearer', 'Bearer ', 'Basic YWRtaW46YWRtaW4=', 'bearer x.y.z', 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiIsInJvbGUiOiJhZG1pbiJ9.', `Bearer ${'A'.repeat(4000)}`),
      fc.string({ unit: 'grapheme-ascii', maxLength: 200 }).map((junk) => `Bearer ${junk}`),
    )
    .map((authorization) => ({ caller: 'nobody' as const, authorization, fault: { stage: 'auth' as const, why: 'a forged token', status: 401 } }));
  const cookie = oddString(200)
    .map((junk) => `eventloom_token=${percentEncode(junk)}`)
    .map((value) => ({ caller: 'nobody' as const, cookie: value, fault: { stage: 'auth' as const, why: 'a forged cookie', status: 401 } }));
  const options: fc.WeightedArbitrary<Credentials>[] = [{ weight: 12, arbitrary: fitting }, { weight: 1, arbitrary: nobody }, { weight: 1, arbitrary: forged }, { weight: 1, arbitrary: cookie }];
  const others = allRoles.filter((role) => !op.roles.includes(role));
  if (others.length > 0) {
    options.push({ weight: 1, arbitrary: fc.constantFrom(...others).map((caller) => ({ caller, fault: { stage: 'auth', why: `role ${caller} may not`, status: 403 } })) });
  }
  return fc.oneof(...options);
}

function queryOf(op: Operation): fc.Arbitrary<{ pairs: string[]; faults: Fault[] }> {
  const params = op.params.filter((p) => p.in === 'query' && (p.required || breakable(p.schema, 'text')));
  const each = params.map((param) =>
    fc.oneof(
      { weight: param.required ? 0 : 2, arbitrary: fc.constant(undefined) },
      { weight: 3, arbitrary: textValue(param, 'input').map(({ sent, fault }) => ({ pair: `${percentEncode(param.name)}=${sent}`, fault })) },
    ),
  );
  const extra = fc.oneof(
    fc.tuple(oddKey, oddString(300)).map(([key, value]) => `${percentEncode(key)}=${percentEncode(value)}`),
    fc.constantFrom('%zz', '=', '&', '==x', 'a=%', '%E0%A4%A=1', `x=${'y'.repeat(4000)}`, `x=${'y'.repeat(20_000)}`),
    // A known name twice: which one counts is the server's choice, so no fault is claimed.
    params.length > 0 ? fc.constantFrom(...params.map((p) => `${percentEncode(p.name)}=1&${percentEncode(p.name)}=2`)) : fc.constant('limit=1&limit=2'),
  );
  return fc.tuple(fc.tuple(...each), fc.array(extra, { maxLength: 2 })).map(([chosen, extras]) => {
    const present = chosen.filter((c): c is { pair: string; fault: Fault | undefined } => c !== undefined);
    return { pairs: [...present.map((c) => c.pair), ...extras], faults: present.flatMap((c) => (c.fault ? [c.fault] : [])) };
  });
}

function headersOf(op: Operation): fc.Arbitrary<Record<string, string>> {
  const names = op.params.filter((p) => p.in === 'header').map((p) => p.name);
  const value = fc.oneof(
    fc.string({ unit: 'grapheme-ascii', maxLength: 300 }),
    fc.constantFrom('wait=99999999999999999999', 'wait=-1', 'wait=1e3', 'wait=30, wait=0', 'respond-async', 'k'.repeat(3000)),
  );
  return fc.tuple(...names.map((name) => fc.option(value.map((v) => [name, v] as const), { nil: undefined }))).map((entries) => Object.fromEntries(entries.filter((e) => e !== undefined)));
}

/** A JSON body that surely breaks `schema` at one place: the whole, a field, a missing or an unknown key, an item. */
function faultyJson(schema: Schema): fc.Arbitrary<unknown> {
  const options: fc.Arbitrary<unknown>[] = [faultOf(schema, 'json')];
  const properties = Object.entries(schema.properties ?? {});
  if (properties.length > 0) {
    options.push(
      fc.tuple(plausible(schema), fc.constantFrom(...properties)).chain(([base, [key, property]]) => faultyJson(property).map((bad) => ({ ...(base as object), [key]: bad }))),
    );
  }
  if (schema.required?.length) {
    options.push(fc.tuple(plausible(schema), fc.constantFrom(...schema.required)).map(([base, key]) => Object.fromEntries(Object.entries(base as object).filter(([k]) => k !== key))));
  }
  if (schema.additionalProperties === false) {
    const unknownKey = oddKey.filter((key) => !Object.hasOwn(schema.properties ?? {}, key));
    options.push(fc.tuple(plausible(schema), unknownKey, oddJson).map(([base, key, value]) => Object.fromEntries([...Object.entries(base as object), [key, value]])));
  }
  if (schema.items && breakable(schema.items, 'json')) {
    options.push(fc.tuple(plausible(schema), faultyJson(schema.items)).map(([base, bad]) => [bad, ...(base as unknown[]).slice(1)]));
  }
  return fc.oneof(...options);
}

/** Text that is not JSON, or JSON deeper than any body needs. */
function brokenJson(schema: Schema): fc.Arbitrary<string> {
  const good = plausible(schema).map(toJson);
  return fc.oneof(
    fc.tuple(good, fc.nat()).map(([text, cut]) => text.slice(0, cut % Math.max(1, text.length))),
    fc.tuple(good, fc.constantFrom('}', ',', 'x', '\u0000', ']', '{}')).map(([text, tail]) => text + tail),
    good.map((text) => text.replaceAll('"', "'")),
    fc.constantFrom('', ' ', '{', '[', 'nul', 'NaN', '{"a":}', '{"a" 1}', '[1,]', '{"a":1,}', '{"a":"\u0001"}', '1 2', '{}{}', '\u0000', '"\\ud800"', '{"a":1}\n{"b":2}'),
    fc.integer({ min: 1000, max: 30_000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
    fc.integer({ min: 1000, max: 12_000 }).map((depth) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)),
    fc.integer({ min: 1000, max: 30_000 }).map((depth) => '['.repeat(depth)),
  );
}

/** What a server makes of the bytes: UTF-8 decoded, a leading BOM dropped, then JSON.parse. */
function parsedBody(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(Buffer.from(text, 'utf8').toString('utf8').replace(/^\ufeff/, '')) };
  } catch {
    return { ok: false };
  }
}

const prototypeKey = /"__proto__"\s*:|"constructor"\s*:\s*\{[^}]*"prototype"\s*:/;
const jsonTypes = ['application/json', 'application/json; charset=utf-8', 'application/JSON', 'application/merge-patch+json', 'application/problem+json'];
const oddTypes = ['application/jsonp', 'application/json-seq', 'text/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/x-ndjson', 'application/ndjson', ''];

interface Body {
  bytes: Buffer;
  contentType?: string;
  chunked: boolean;
  faults: Fault[];
  opaque: boolean;
}

function bodyOf(op: Operation): fc.Arbitrary<Body | undefined> {
  const { schema, required, types } = op.body!;
  const judged = (text: string): Omit<Body, 'contentType' | 'chunked'> => {
    const parsed = parsedBody(text);
    const why = parsed.ok ? violation(schema, parsed.value, 'json') : 'not JSON';
    return { bytes: Buffer.from(text, 'utf8'), faults: why ? [{ stage: 'input', why: `body: ${why}` }] : [], opaque: false };
  };
  const contentType = fc.oneof(
    { weight: 8, arbitrary: fc.constant('application/json') },
    { weight: 2, arbitrary: fc.constantFrom(...jsonTypes) },
    { weight: 1, arbitrary: fc.constantFrom(...oddTypes) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
  const json = fc
    .tuple(fc.oneof({ weight: 4, arbitrary: faultyJson(schema).map(toJson) }, { weight: 2, arbitrary: brokenJson(schema) }), contentType, fc.boolean())
    .map(([text, type, chunked]): Body => {
      const body = { ...judged(text), contentType: type, chunked: chunked && text.length > 0 };
      // Sent as another type the route takes (NDJSON), the JSON schema says nothing about it.
      if (type !== undefined && types.some((t) => t !== 'application/json' && type.toLowerCase().startsWith(t))) return { ...body, faults: [], opaque: true };
      const notJson = type === undefined || !/^application\/([a-z.-]+\+)?json\b/i.test(type);
      if (notJson && required) body.faults.push({ stage: 'input', why: `content-type ${JSON.stringify(type)}` });
      return body;
    });
  const oversize = fc.tuple(plausible(schema), fc.integer({ min: 1, max: 4096 }), fc.boolean()).map(([base, extra, chunked]): Body => {
    const pad = 'x'.repeat(op.bodyLimit + extra);
    const text = toJson(Array.isArray(base) ? [...base, pad] : { ...(base as object), pad });
    return { bytes: Buffer.from(text), contentType: 'application/json', chunked, faults: [], opaque: false };
  });
  /** What any body meets before the route: the size limit and the prototype key check. */
  const screened = (body: Body): Body => {
    const faults = [...body.faults];
    if (body.bytes.length > op.bodyLimit) faults.push({ stage: 'route', why: `body of ${body.bytes.length} bytes`, status: 413 });
    else if (body.contentType && prototypeKey.test(body.bytes.toString('utf8'))) faults.push({ stage: 'route', why: 'a prototype key' });
    return { ...body, faults };
  };
  // A body that may pass validation, for the other parts of a request to be what is refused.
  const fine = plausible(schema).map((value): Body => ({ ...judged(toJson(value)), contentType: 'application/json', chunked: false }));
  const options: fc.WeightedArbitrary<Body | undefined>[] = [
    { weight: 10, arbitrary: json },
    { weight: 2, arbitrary: fine },
    { weight: 1, arbitrary: oversize },
  ];
  if (!required) options.push({ weight: 1, arbitrary: fc.constant(undefined) });
  if (schema.type === 'array' && (!schema.items || !breakable(schema.items, 'json'))) {
    // Items the document leaves open: the route judges them one by one.
    options.push({ weight: 3, arbitrary: fc.array(oddJson, { minLength: 1, maxLength: 5 }).map((items) => ({ bytes: Buffer.from(toJson(items)), contentType: 'application/json', chunked: false, faults: [], opaque: true })) });
  }
  if (types.includes('application/x-ndjson')) {
    const line = fc.oneof(oddJson.map(toJson), oddString(200));
    options.push({ weight: 3, arbitrary: fc.array(line, { minLength: 1, maxLength: 5 }).map((lines) => ({ bytes: Buffer.from(lines.join('\n')), contentType: 'application/x-ndjson', chunked: false, faults: [], opaque: true })) });
  }
  return fc.oneof(...options).map((body) => body && screened(body));
}

/** Node's parser refuses a request line and headers past 16 KiB (431) before the app sees them; near the limit it is hard to say. */
const headLimit = 16 * 1024;
const headSize = (request: HostileRequest) => request.target.length + Object.entries(request.headers).join('').length + 1024;

/** Writes whose valid requests change no record (signing in counts only against its quota): sent valid too. */
const writesNothing = new Set(['POST /auth/token']);

/** One hostile request for `op`. Every write (but sign-in) and every stream has at least one sure fault, or an opaque body. */
export function hostileRequest(op: Operation): fc.Arbitrary<HostileRequest> {
  const pathParams = op.params.filter((p) => p.in === 'path');
  const path = fc.tuple(...pathParams.map((param) => textValue(param, 'route')));
  const method = fc.oneof({ weight: 12, arbitrary: fc.constant(op.method) }, ...(op.otherMethods.length > 0 ? [{ weight: 1, arbitrary: fc.constantFrom(...op.otherMethods) }] : []));
  return fc
    .record({ caller: callerOf(op), path, query: queryOf(op), headers: headersOf(op), body: op.body ? bodyOf(op) : fc.constant(undefined), method })
    .map(({ caller, path: values, query, headers, body, method }): HostileRequest => {
      let target = op.path;
      pathParams.forEach((param, i) => (target = target.replace(`{${param.name}}`, values[i]!.sent)));
      if (query.pairs.length > 0) target += `?${query.pairs.join('&')}`;
      const sent: Record<string, string> = { ...headers };
      if (caller.authorization) sent.authorization = caller.authorization;
      if (caller.cookie) sent.cookie = caller.cookie;
      if (body?.contentType !== undefined) sent['content-type'] = body.contentType;
      const faults = [
        ...values.flatMap((v) => (v.fault ? [v.fault] : [])),
        ...query.faults,
        ...(body?.faults ?? []),
        ...(caller.fault ? [caller.fault] : []),
        ...(method !== op.method ? [{ stage: 'route' as const, why: `no ${method} here` }] : []),
      ];
      if (op.body?.required && !body) faults.push({ stage: 'input', why: 'no body' });
      return { method, target, caller: caller.caller, headers: sent, ...(body ? { body: body.bytes } : {}), chunked: body?.chunked ?? false, faults, opaque: body?.opaque ?? false };
    })
    .filter((request) => request.faults.length > 0 || (op.method === 'GET' && !op.streams) || request.opaque || writesNothing.has(`${op.method} ${op.path}`))
    .map((request) => (headSize(request) > headLimit + 2048 ? { ...request, faults: [...request.faults, { stage: 'route' as const, why: 'headers past 16 KiB', status: 431 }] } : request))
    .filter((request) => Math.abs(headSize(request) - headLimit) > 2048);
}

/** The status a request must get: an exact one when its deciding fault names it, else any 4xx; undefined when it may succeed. */
export function expectedStatus(request: HostileRequest): number | '4xx' | undefined {
  if (request.faults.length === 0) return undefined;
  const first = (['route', 'auth', 'input'] as const).map((stage) => request.faults.filter((f) => f.stage === stage)).find((faults) => faults.length > 0)!;
  const statuses = new Set(first.map((f) => f.status));
  const [status] = statuses;
  return statuses.size === 1 && status !== undefined ? status : '4xx';
}
