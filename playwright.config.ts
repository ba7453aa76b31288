import { readdirSync, rmSync } from 'node:fs';
import { defineConfig, devices } from '@playwright/test';
import {
	E2E_AI_PORT,
	E2E_CRON_SECRET,
	E2E_INBOUND_DOMAIN,
	E2E_INBOUND_SECRET,
	E2E_RESEND_PORT
} from './e2e/env';

// E2E runs the production build (`node build`) on a database of its own: Postgres when DATABASE_URL
// is set, otherwise a fresh PGlite folder per run. Browser downloads fail here, so Debian's Chromium.
const PORT = Number(process.env.E2E_PORT ?? 4173);
const ORIGIN = `http://127.0.0.1:${PORT}`;
process.env.E2E_PGLITE_DIR ??= `.data/e2e-${Date.now()}`;
// Earlier runs' databases are of no further use.
for (const name of safeReaddir('.data')) {
	if (name.startsWith('e2e-') && `.data/${name}` !== process.env.E2E_PGLITE_DIR) {
		rmSync(`.data/${name}`, { recursive: true, force: true });
	}
}

function safeReaddir(dir: string): string[] {
	try {
		return readdirSync(dir);
	} catch {
		return [];
	}
}

const serverEnv: Record<string, string> = {
	PORT: String(PORT),
	HOST: '127.0.0.1',
	ORIGIN,
	NODE_ENV: 'production',
	// Email goes to a stand-in for Resend's API that the email test starts on this port.
	RESEND_API_KEY: 're_e2e_key',
	RESEND_BASE_URL: `http://127.0.0.1:${E2E_RESEND_PORT}`,
	EMAIL_FROM: 'Parley <notify@parley.test>',
	CRON_SECRET: E2E_CRON_SECRET,
	APP_SECRET: 'e2e-app-secret-of-at-least-32-characters',
	NOTIFY_DELAY_SECONDS: '0',
	// Replies by email come in through the MIME route (e2e/reply-by-email.test.ts).
	INBOUND_EMAIL_DOMAIN: E2E_INBOUND_DOMAIN,
	INBOUND_SECRET: E2E_INBOUND_SECRET,
	// The assistant talks to a stand-in model (OpenAI-compatible) that the assistant test starts
	// on this port; in the other tests nothing asks it anything.
	AI_BASE_URL: `http://127.0.0.1:${E2E_AI_PORT}/v1`,
	AI_MODEL: 'parley-stand-in',
	AI_TIMEOUT_MS: '15000',
	// The e2e database outlives a run on Postgres: runs in a row must not meet the hourly limit.
	API_TOKENS_PER_HOUR: '1000',
	// Every test signs in, sends and rents from 127.0.0.1 as the same few demo users, run after run:
	// the limits stay on, far above what the suite does (their own tests use their own settings).
	LOGIN_FAILURES_PER_EMAIL_IP: '1000',
	LOGIN_FAILURES_PER_IP: '10000',
	LOGIN_FAILURES_PER_EMAIL: '10000',
	SIGNUPS_PER_IP_PER_HOUR: '10000',
	MESSAGES_PER_MINUTE: '10000',
	MESSAGES_PER_DAY: '100000',
	CONVERSATIONS_PER_DAY: '10000',
	TYPING_EVENTS_PER_MINUTE: '10000',
	LIVE_STREAMS_PER_USER: '1000',
	RENTALS_PER_DAY: '10000',
	// Uploads: the no-JavaScript form sends text and files in one request, so adapter-node's
	// whole-body limit must allow ten files (see README, Attachments).
	BODY_SIZE_LIMIT: '300M',
	ATTACHMENTS_DIR: '.data/attachments-e2e'
};
if (!process.env.DATABASE_URL) serverEnv.PGLITE_DATA_DIR = process.env.E2E_PGLITE_DIR;

export default defineConfig({
	testDir: 'e2e',
	outputDir: 'test-results/playwright',
	fullyParallel: false,
	workers: 1,
	retries: process.env.CI ? 1 : 0,
	timeout: 60_000,
	expect: { timeout: 10_000 },
	reporter: [
		['list'],
		['json', { outputFile: 'test-results/playwright.json' }],
		['html', { open: 'never', outputFolder: 'playwright-report' }]
	],
	use: {
		baseURL: ORIGIN,
		screenshot: 'only-on-failure',
		trace: 'retain-on-failure'
	},
	projects: [
		{
			name: 'chromium',
			use: {
				...devices['Desktop Chrome'],
				launchOptions: {
					executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
					args: [
						'--no-sandbox',
						'--disable-gpu',
						'--disable-dev-shm-usage',
						'--disable-background-networking',
						'--disable-component-update',
						'--disable-sync'
					]
				}
			}
		}
	],
	webServer: {
		// Production never seeds by itself: the test run loads the demo world first.
		command: 'npm run db:seed && node build',
		url: `${ORIGIN}/login`,
		env: serverEnv,
		timeout: 120_000,
		// Never a server that is already running unless asked (E2E_REUSE_SERVER=1): one left over from
		// an earlier run serves the build it started with, and `vite build` renames every asset (the
		// version is in their hashes). Its static handler (sirv) lists files at start and streams them
		// with no error handler, so the first browser request for a vanished asset kills it.
		reuseExistingServer: process.env.E2E_REUSE_SERVER === '1',
		stdout: 'pipe',
		stderr: 'pipe'
	}
});
