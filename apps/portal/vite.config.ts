import { copyFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import adapterNode from '@sveltejs/adapter-node';
import type { Adapter } from '@sveltejs/kit';
import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vitest/config';

const out = fileURLToPath(new URL('./build', import.meta.url));

/**
 * adapter-node, with node-entry.js as build/index.js so the built server honours
 * ORIGIN at run time and serves form actions on plain http (adapter-node 6 only
 * knows a build-time origin and otherwise assumes https).
 */
function adapter(): Adapter {
	const node = adapterNode({ out });
	return {
		...node,
		async adapt(builder) {
			await node.adapt(builder);
			copyFileSync(fileURLToPath(new URL('./node-entry.js', import.meta.url)), `${out}/index.js`);
		},
	};
}

export default defineConfig({
	// This directory, also when the root vitest config loads this project from the repository root.
	root: fileURLToPath(new URL('.', import.meta.url)),
	plugins: [sveltekit({ adapter: adapter() })],
	test: {
		// Unit tests only; the browser harness under test/ runs in the root `e2e` project.
		name: '@eventloom/portal',
		include: ['src/**/*.test.ts'],
	},
});
