import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { defineConfig, type TestProjectConfiguration } from 'vitest/config';

// Every workspace package is a project. A package with its own vitest/vite
// config (the portal: it needs the SvelteKit plugin) is loaded from that file;
// the others are inline projects over src/ and test/. Browser tests
// (*.e2e.test.ts) run only in the `e2e` project: `pnpm vitest run --project e2e`.
const workspaceDirs = ['packages', 'apps', 'tools'];
const e2e = '**/*.e2e.test.ts';
const ignored = ['**/node_modules/**', '**/build/**', '**/dist/**', '**/.svelte-kit/**', '**/.tools/**', '**/.eventloom/**'];

function packageProjects(): TestProjectConfiguration[] {
  const projects: TestProjectConfiguration[] = [];
  for (const parent of workspaceDirs) {
    if (!existsSync(parent)) continue;
    for (const entry of readdirSync(parent, { withFileTypes: true })) {
      const dir = join(parent, entry.name);
      if (!entry.isDirectory() || !existsSync(join(dir, 'package.json'))) continue;
      const ownConfig = ['vitest.config.ts', 'vite.config.ts'].map((f) => join(dir, f)).find((f) => existsSync(f));
      if (ownConfig) {
        projects.push(ownConfig);
        continue;
      }
      const { name } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
      projects.push({
        extends: true,
        test: {
          name: name ?? dir,
          include: [`${dir}/{src,test}/**/*.test.ts`],
          exclude: [...ignored, e2e],
        },
      });
    }
  }
  return projects;
}

export default defineConfig({
  test: {
    globalSetup: ['tools/cli/src/vitest/global-setup.ts'],
    setupFiles: ['tools/cli/src/vitest/worker-env.ts'],
    // Integration tests talk to Azurite and Redis: seconds, not milliseconds.
    testTimeout: 20_000,
    hookTimeout: 30_000,
    teardownTimeout: 10_000,
    // Tests mostly wait on Azurite and Redis, so two files at a time pay off even
    // on two cores (vitest's default there is one, which also makes it run the
    // unit files after the e2e group instead of before).
    maxWorkers: Math.max(2, availableParallelism()),
    projects: [
      ...packageProjects(),
      {
        extends: true,
        test: {
          name: 'e2e',
          include: [e2e],
          exclude: ignored,
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          maxWorkers: 1,
          // After every other project, so browsers and servers do not compete
          // with the unit tests for the CPU.
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
