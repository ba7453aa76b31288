import adapter from '@sveltejs/adapter-node';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
	preprocess: vitePreprocess(),
	compilerOptions: {
		runes: true
	},
	kit: {
		adapter: adapter(),
		// The same cross-site form check runs in hooks.server.ts, which exempts only the RFC 8058
		// one-click unsubscribe endpoint: mailbox providers POST there with no matching Origin.
		csrf: { trustedOrigins: ['*'] }
	}
};

export default config;
