import type { AppEnv } from '@eventloom/core';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { html } from 'hono/html';

/** Serves `/openapi.json` (OpenAPI 3.1, generated from the routes) and a plain `/docs` page. */
export function addDocs(app: OpenAPIHono<AppEnv>, contextNames: string[]): void {
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'From POST /auth/token. Browsers may use the eventloom_token cookie instead.',
  });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Eventloom gateway',
      version: '0.1.0',
      description: `Contexts: ${contextNames.join(', ')}. Errors are RFC 7807 problem details (application/problem+json).`,
    },
    security: [{ bearer: [] }],
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
