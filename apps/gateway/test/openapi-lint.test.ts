/**
 * The gateway's OpenAPI document passes Redocly's `recommended` ruleset with no error
 * and no warning (issue 17), with every shipped context mounted: a new route cannot
 * regress what a team generating a client from `/openapi.json` gets.
 */
import banking from '@eventloom/banking-context';
import counter from '@eventloom/counter-context';
import orders from '@eventloom/orders-context';
import reporting from '@eventloom/reporting-context';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import { describe, expect, it } from 'vitest';
import { testGateway } from './test-gateway.ts';

describe('/openapi.json', () => {
  it("passes Redocly's recommended rules with 0 errors and 0 warnings, an example on every JSON body", { timeout: 60_000 }, async () => {
    const { app } = await testGateway({ contexts: [counter, banking, orders, reporting] });
    const source = await (await app.request('http://127.0.0.1:8787/openapi.json')).text();
    const config = await createConfig({ extends: ['recommended'] });
    const problems = await lintFromString({ source, absoluteRef: '/openapi.json', config });
    const summary = problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location[0]?.pointer ?? ''}`);
    const counts = summary.reduce<Record<string, number>>((all, line) => {
      const rule = line.split(':')[0]!;
      all[rule] = (all[rule] ?? 0) + 1;
      return all;
    }, {});
    expect(counts, summary.slice(0, 20).join('\n')).toEqual({});
    // Every JSON body shows an example (Redocly's no-invalid-media-type-examples checked each against its schema above).
    const document = JSON.parse(source) as { paths: Record<string, Record<string, { requestBody?: { content?: Record<string, { example?: unknown }> } }>> };
    const bare = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item).flatMap(([method, operation]) => {
        const body = operation.requestBody?.content?.['application/json'];
        return body && body.example === undefined ? [`${method.toUpperCase()} ${path}`] : [];
      }),
    );
    expect(bare, 'bodies without an example').toEqual([]);
  });
});
