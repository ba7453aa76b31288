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
		csrf: { trustedOrigins: ['*'] },
		// SvelteKit adds a nonce (rendered pages) or a hash (prerendered ones) for its own inline
		// script, so no other inline script runs. Styles keep 'unsafe-inline' (style attributes and
		// transitions); with it SvelteKit adds no style nonce, which would disable it.
		csp: {
			mode: 'auto',
			directives: {
				'default-src': ['self'],
				'script-src': ['self'],
				'style-src': ['self', 'unsafe-inline'],
				'img-src': ['self', 'data:', 'blob:'],
				'font-src': ['self'],
				'connect-src': ['self'],
				'object-src': ['none'],
				'base-uri': ['self'],
				'form-action': ['self'],
				'frame-ancestors': ['none']
			}
		}
	}
};

export default config;
