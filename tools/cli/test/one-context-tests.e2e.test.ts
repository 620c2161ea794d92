/**
 * Running one context's tests, as docs/add-a-context.md says to, prints no warning that
 * means nothing to its reader (issue 16: the portal's SvelteKit plugin, loaded from the
 * repository root by the root config, warned `app_template_missing`).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));

describe("one context's tests", () => {
  it('list without a SvelteKit warning', { timeout: 120_000 }, () => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(VITEST|npm_|INIT_CWD$|NODE_OPTIONS$)/.test(key)));
    const listed = spawnSync('pnpm', ['exec', 'vitest', 'list', '--filesOnly', 'packages/counter-context'], { cwd: root, env: { ...env, CI: '1', NO_COLOR: '1' }, encoding: 'utf8' });
    const output = `${listed.stdout}\n${listed.stderr}`;
    expect(listed.status, output.slice(-2000)).toBe(0);
    expect(output).toContain('packages/counter-context/');
    expect(output).not.toMatch(/app_template_missing|app\.html does not exist/);
  });
});
