import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vitest/config';

export default defineConfig({
	plugins: [sveltekit()],
	// PGlite ships WebAssembly and data files that must be loaded from node_modules as they are.
	optimizeDeps: { exclude: ['@electric-sql/pglite'] },
	test: {
		expect: { requireAssertions: true },
		projects: [
			{
				extends: true,
				test: {
					name: 'unit',
					environment: 'node',
					include: ['src/**/*.test.ts']
				}
			},
			{
				extends: true,
				test: {
					name: 'integration',
					environment: 'node',
					include: ['tests/**/*.test.ts'],
					globalSetup: ['tests/helpers/global-setup.ts'],
					// The live-stream test measures memory after a garbage collection.
					execArgv: ['--expose-gc'],
					// PGlite boots a WebAssembly Postgres per test database; give it room.
					testTimeout: 60_000,
					hookTimeout: 120_000
				}
			}
		]
	}
});
