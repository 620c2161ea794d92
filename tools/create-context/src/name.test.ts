import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { existingContexts, refuseName } from './name.ts';

/** A repository with a counter context whose folder and declared name agree, and one whose do not. */
function repo(): string {
  const root = mkdtempSync(join(tmpdir(), 'create-context-name-'));
  for (const [folder, declared] of [['counter-context', 'counter'], ['ledger-context', 'books']] as const) {
    mkdirSync(join(root, 'packages', folder, 'src'), { recursive: true });
    writeFileSync(join(root, 'packages', folder, 'src', 'index.ts'), `export default defineContext({\n  name: '${declared}',\n});\n`);
  }
  return root;
}

describe('context names', () => {
  const root = repo();

  it('takes lower-case letters and digits', () => {
    expect(refuseName('shipping', root)).toBeUndefined();
    expect(refuseName('crm2', root)).toBeUndefined();
  });

  it('refuses anything else, suggesting a name that would do', () => {
    expect(refuseName('Shipping', root)).toBe('"Shipping" is not a context name: use 2-31 lower-case letters and digits, starting with a letter — did you mean "shipping"?');
    expect(refuseName('shipping-context', root)).toMatch(/did you mean "shipping"\?$/);
    expect(refuseName('ship_ping', root)).toMatch(/did you mean "shipping"\?$/);
    expect(refuseName('2fast', root)).toBe('"2fast" is not a context name: use 2-31 lower-case letters and digits, starting with a letter');
    expect(refuseName('x', root)).toMatch(/not a context name/);
    expect(refuseName('a'.repeat(32), root)).toMatch(/not a context name/);
    expect(refuseName('', root)).toMatch(/^give the new context a name: pnpm create-context NAME/);
  });

  it('refuses the names the gateway serves itself', () => {
    for (const name of ['live', 'auth', 'admin', 'docs', 'health', 'metrics']) {
      expect(refuseName(name, root)).toBe(`"${name}" is reserved: the gateway serves /api/${name} itself (reserved: live, auth, admin, docs, health, metrics)`);
    }
  });

  it('refuses an existing context, by folder or by declared name', () => {
    expect([...existingContexts(root)]).toEqual(
      expect.arrayContaining([
        ['counter', 'packages/counter-context'],
        ['books', 'packages/ledger-context'],
        ['ledger', 'packages/ledger-context'],
      ]),
    );
    expect(refuseName('counter', root)).toBe('"counter" exists already (packages/counter-context); pick another name');
    expect(refuseName('books', root)).toBe('"books" exists already (packages/ledger-context); pick another name');
  });
});
