import { describe, expect, it } from 'vitest';
import { addDependency, addToHost } from './gateway.ts';

const host = `import banking from '@eventloom/banking-context';
import counter from '@eventloom/counter-context';
import type { ContextDefinition } from '@eventloom/core';

/** The contexts this gateway hosts. Adding one is one import and one entry. */
export const contexts: ContextDefinition[] = [counter, banking];
`;

describe('mounting a context in the gateway', () => {
  it('adds one import, in order among the context imports, and one list entry', () => {
    expect(addToHost(host, 'shipping')).toBe(`import banking from '@eventloom/banking-context';
import counter from '@eventloom/counter-context';
import shipping from '@eventloom/shipping-context';
import type { ContextDefinition } from '@eventloom/core';

/** The contexts this gateway hosts. Adding one is one import and one entry. */
export const contexts: ContextDefinition[] = [counter, banking, shipping];
`);
    expect(addToHost(host, 'catalog').split('\n').slice(0, 3)).toEqual([
      "import banking from '@eventloom/banking-context';",
      "import catalog from '@eventloom/catalog-context';",
      "import counter from '@eventloom/counter-context';",
    ]);
  });

  it('keeps a list written one entry per line', () => {
    const multiline = host.replace('[counter, banking]', '[\n  counter,\n  banking,\n]');
    expect(addToHost(multiline, 'shipping')).toContain('[\n  counter,\n  banking,\n  shipping,\n]');
    expect(addToHost(host.replace('[counter, banking]', '[]'), 'shipping')).toContain('= [shipping];');
  });

  it('imports under another name when the name is a keyword or taken in host.ts', () => {
    expect(addToHost(host, 'new')).toContain("import newContext from '@eventloom/new-context';");
    expect(addToHost(host, 'new')).toContain('[counter, banking, newContext]');
    expect(addToHost(host, 'contexts')).toContain("import contextsContext from '@eventloom/contexts-context';");
  });

  it('refuses a host file it cannot edit safely', () => {
    expect(() => addToHost(host, 'counter')).toThrow('imports @eventloom/counter-context already');
    expect(() => addToHost('export default [];\n', 'shipping')).toThrow(/no `export const contexts = \[...\]` list; add the context to the gateway by hand/);
  });

  it('adds the workspace dependency to the gateway package', () => {
    const before = `${JSON.stringify({ name: '@eventloom/gateway', dependencies: { '@eventloom/core': 'workspace:*' } }, null, 2)}\n`;
    expect(JSON.parse(addDependency(before, 'shipping')).dependencies).toEqual({
      '@eventloom/core': 'workspace:*',
      '@eventloom/shipping-context': 'workspace:*',
    });
  });
});
