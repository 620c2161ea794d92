import adapter from '@sveltejs/adapter-node';
import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vitest/config';

export default defineConfig({
	plugins: [sveltekit({ adapter: adapter() })],
	test: {
		// Unit tests only; the browser harness under test/ runs in the root `e2e` project.
		name: '@eventloom/portal',
		include: ['src/**/*.test.ts'],
	},
});
