import type { AppEnv } from '@eventloom/core';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { html } from 'hono/html';
import { completeDocument } from './openapi-document.ts';

/** The gateway's own areas, as tagged in its routes. */
const gatewayTags: Record<string, string> = {
  system: 'Health and metrics of this gateway',
  auth: 'Tokens: sign in with a local account, read who you are',
  live: 'Server-sent events: views that changed',
  admin: 'Operating the platform: projections, rebuilds, dead letters, workers (admins only)',
  consumers: "Other systems: each context's published feed, webhooks and AsyncAPI",
  commands: 'Where a command stands (accepted, applied), by its id',
};

/** Serves `/openapi.json` (OpenAPI 3.1, generated from the routes and completed by completeDocument) and a plain `/docs` page. */
export function addDocs(app: OpenAPIHono<AppEnv>, contexts: readonly { name: string; title?: string }[]): void {
  const contextNames = contexts.map((context) => context.name);
  const tags = { ...gatewayTags, ...Object.fromEntries(contexts.map((context) => [context.name, `The ${context.title ?? context.name} context`])) };
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'From POST /auth/token. Browsers may use the eventloom_token cookie instead.',
  });
  const config = {
    openapi: '3.1.0',
    info: {
      title: 'Eventloom gateway',
      version: '0.1.0',
      description: `Contexts: ${contextNames.join(', ')}. Errors are RFC 7807 problem details (application/problem+json).`,
      // The repository grants no licence (no LICENSE file); SPDX's form for a licence of one's own.
      license: { name: 'Unlicensed: no licence is granted', identifier: 'LicenseRef-Unlicensed' },
    },
    security: [{ bearer: [] }],
  };
  // Generated once (routes do not change after start); only the server differs per request.
  let generated: Record<string, unknown> | undefined;
  app.get('/openapi.json', (c) => {
    generated ??= completeDocument(app.getOpenAPI31Document(config) as unknown as Record<string, unknown>, { origin: 'http://localhost', tags });
    return c.json({ ...generated, servers: [{ url: new URL(c.req.url).origin, description: 'The gateway this document came from' }] });
  });
  // No CDN assets (the network may be closed): a plain list of operations.
  app.get('/docs', (c) => {
    const document = app.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 'Eventloom gateway', version: '0.1.0' } });
    const rows = Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
      Object.entries(item as Record<string, { summary?: string; 'x-roles'?: unknown }>).map(
        ([method, operation]) =>
          html`<tr><td><code>${method.toUpperCase()}</code></td><td><code>${path}</code></td><td>${String(operation['x-roles'] ?? '')}</td><td>${operation.summary ?? ''}</td></tr>`,
      ),
    );
    return c.html(html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Eventloom API</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem}td{padding:.2rem .8rem;border-bottom:1px solid #ddd}</style></head>
<body><h1>Eventloom API</h1><p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).
Get a token with <code>POST /auth/token</code>, send it as <code>Authorization: Bearer …</code>.</p>
<table><thead><tr><th>method</th><th>path</th><th>roles</th><th>summary</th></tr></thead><tbody>${rows}</tbody></table></body></html>`);
  });
}
