import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vitest/config';

// `npm run dev`: notification emails carry a reply address, and /dev/outbox's Reply box answers them
// through the MIME door, with no setup. Set either variable to use your own.
if (process.env.npm_lifecycle_event === 'dev' || process.argv[2] === 'dev') {
	process.env.INBOUND_EMAIL_DOMAIN ||= 'reply.parley.localhost';
	process.env.INBOUND_SECRET ||= 'parley-development-inbound-secret';
}

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
