/**
 * A consumer's view (issue 17): openapi-typescript makes types of the gateway's
 * /openapi.json, and a short consumer program (test/consumer/consumer.ts) type-checks
 * against them with the TypeScript compiler. The same program with a misspelt field
 * or a route that does not exist must not type-check, so the types really bind.
 */
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { gatewayDocument } from '../scripts/gateway-types.ts';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eventloom-consumer-'));
  const document = JSON.stringify(await gatewayDocument());
  await writeFile(join(dir, 'gateway.ts'), astToString(await openapiTS(document)));
  await copyFile(new URL('./consumer/consumer.ts', import.meta.url), join(dir, 'consumer.ts'));
}, 60_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

/** The compiler's complaints about `consumer.ts` in the temp dir, one line each. */
function typeCheck(): string[] {
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2023,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    allowImportingTsExtensions: true,
    lib: ['lib.es2023.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
    types: [],
  };
  const program = ts.createProgram([join(dir, 'consumer.ts')], options);
  return ts.getPreEmitDiagnostics(program).map((d) => `${d.file ? `${d.file.fileName.replace(dir, '')}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1} ` : ''}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

it('a consumer program type-checks against types generated from /openapi.json', { timeout: 60_000 }, async () => {
  expect(typeCheck()).toEqual([]);
});

it('the generated types refuse a misspelt field and a route the gateway does not have', { timeout: 60_000 }, async () => {
  const source = await readFile(join(dir, 'consumer.ts'), 'utf8');
  try {
    await writeFile(join(dir, 'consumer.ts'), source.replace('{ amountCents, memo:', '{ amountCent: amountCents, memo:'));
    expect(typeCheck().join('\n')).toMatch(/amountCent/);
    await writeFile(join(dir, 'consumer.ts'), source.replace("paths['/api/banking/feed']", "paths['/api/banking/fed']"));
    expect(typeCheck().join('\n')).toMatch(/\/api\/banking\/fed/);
  } finally {
    await writeFile(join(dir, 'consumer.ts'), source);
  }
});
