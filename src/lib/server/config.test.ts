import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type ConfigProblem, type Env } from './config';

const SECRET = 'a-production-secret-of-32-chars!';

function problemsOf(env: Env): ConfigProblem[] {
	try {
		loadConfig(env);
	} catch (err) {
		if (err instanceof ConfigError) return err.problems;
		throw err;
	}
	throw new Error('expected the configuration to be invalid');
}

describe('loadConfig', () => {
	it('gives the documented defaults for an empty environment', () => {
		expect(loadConfig({})).toEqual({
			production: false,
			database: { driver: 'pglite', dataDir: '.data/pglite', migrationsDir: 'drizzle' },
			notifications: { delaySeconds: 300, cooldownSeconds: 900 },
			email: {
				from: 'Parley <notifications@parley.localhost>',
				resendApiKey: null,
				resendBaseUrl: null,
				sendTimeoutMs: 20_000,
				publicOrigin: 'http://localhost:5173',
				inboundDomain: null
			},
			secrets: { appSecret: expect.stringMatching(/^parley-development-/) },
			cron: { secret: null, maxRunSeconds: 50 },
			messaging: { editWindowSeconds: 900, contactMasking: 'until-accepted' },
			apiTokens: { createPerHour: 10 },
			inbound: {
				secret: null,
				resendWebhookSecret: null,
				maxBytes: 25 * 1024 * 1024,
				dedupeDays: 90,
				requireAuth: 'dmarc',
				authservIds: []
			},
			limits: {
				login: { perEmailIp: 10, perIp: 30, perEmail: 100, windowSeconds: 900 },
				signupsPerIpPerHour: 10,
				confirmationCooldownSeconds: 120,
				confirmationEmailsPerDay: 5,
				messagesPerMinute: 30,
				messagesPerDay: 1000,
				conversationsPerDay: 20,
				typingPerMinute: 60,
				liveStreamsPerUser: 10,
				rentalsPerDay: 20
			},
			ai: { model: null, timeoutMs: 30_000, dailyCallsPerUser: 100, devStandIn: true },
			attachments: {
				maxBytes: 25 * 1024 * 1024,
				maxPixels: 50_000_000,
				storage: { driver: 'local', dir: '.data/attachments' },
				clamav: null
			}
		});
	});

	it('treats blank values as unset', () => {
		const config = loadConfig({ NOTIFY_DELAY_SECONDS: ' ', DATABASE_URL: '', CRON_SECRET: '' });
		expect(config.notifications.delaySeconds).toBe(300);
		expect(config.database.driver).toBe('pglite');
		expect(config.cron.secret).toBeNull();
	});

	it('reads every setting that is given', () => {
		const config = loadConfig({
			NODE_ENV: 'production',
			DATABASE_URL: 'postgres://app:pw@db.internal:5432/parley',
			DATABASE_POOL_SIZE: '25',
			DATABASE_PREPARE: 'FALSE',
			DATABASE_JIT: 'server',
			MIGRATIONS_DIR: 'sql',
			APP_SECRET: SECRET,
			CRON_SECRET: ' cron-token ',
			NOTIFY_DELAY_SECONDS: '0',
			NOTIFY_COOLDOWN_SECONDS: '60',
			CRON_MAX_SECONDS: '30',
			RESEND_API_KEY: 're_123',
			RESEND_BASE_URL: 'http://127.0.0.1:9000/',
			EMAIL_FROM: 'notify@parley.example',
			EMAIL_SEND_TIMEOUT_MS: '5000',
			ORIGIN: 'https://parley.example.com/',
			PUBLIC_ORIGIN: 'https://ignored.example.com',
			MESSAGE_EDIT_WINDOW_SECONDS: '60',
			API_TOKENS_PER_HOUR: '3',
			INBOUND_EMAIL_DOMAIN: 'Reply.Parley.example',
			INBOUND_SECRET: 'inbound-token',
			RESEND_WEBHOOK_SECRET: 'whsec_abc',
			INBOUND_MAX_BYTES: '1048576',
			INBOUND_DEDUPE_DAYS: '30',
			INBOUND_REQUIRE_AUTH: 'Pass',
			INBOUND_AUTHSERV_ID: 'MX1.Parley.example, mx2.parley.example',
			LOGIN_WINDOW_SECONDS: '600',
			LOGIN_FAILURES_PER_EMAIL_IP: '5',
			LOGIN_FAILURES_PER_IP: '20',
			LOGIN_FAILURES_PER_EMAIL: '200',
			SIGNUPS_PER_IP_PER_HOUR: '4',
			EMAIL_CONFIRM_COOLDOWN_SECONDS: '300',
			EMAIL_CONFIRM_PER_DAY: '3',
			MESSAGES_PER_MINUTE: '10',
			MESSAGES_PER_DAY: '500',
			CONVERSATIONS_PER_DAY: '5',
			TYPING_EVENTS_PER_MINUTE: '30',
			LIVE_STREAMS_PER_USER: '3',
			RENTALS_PER_DAY: '7',
			AI_BASE_URL: 'http://127.0.0.1:11434/v1/',
			AI_MODEL: ' llama3.2 ',
			AI_API_KEY: 'sk-123',
			AI_TIMEOUT_MS: '5000',
			AI_DAILY_CALLS_PER_USER: '0',
			AI_DEV_STAND_IN: 'false',
			CONTACT_MASKING: 'Always',
			ATTACHMENT_MAX_BYTES: '1000000',
			ATTACHMENT_MAX_PIXELS: '4000000',
			ATTACHMENTS_DIR: '/ignored/with/s3',
			S3_BUCKET: 'parley-files',
			S3_REGION: 'auto',
			S3_ENDPOINT: 'http://127.0.0.1:9000/',
			S3_ACCESS_KEY_ID: 'key',
			S3_SECRET_ACCESS_KEY: 'secret',
			S3_FORCE_PATH_STYLE: 'true',
			S3_DOWNLOADS: 'Redirect',
			CLAMAV_HOST: 'clamd.internal',
			CLAMAV_PORT: '3311',
			CLAMAV_TIMEOUT_MS: '5000'
		});
		expect(config).toEqual({
			production: true,
			database: {
				driver: 'postgres',
				url: 'postgres://app:pw@db.internal:5432/parley',
				maxConnections: 25,
				prepare: false,
				jit: 'server',
				migrationsDir: 'sql'
			},
			notifications: { delaySeconds: 0, cooldownSeconds: 60 },
			email: {
				from: 'notify@parley.example',
				resendApiKey: 're_123',
				resendBaseUrl: 'http://127.0.0.1:9000',
				sendTimeoutMs: 5000,
				publicOrigin: 'https://parley.example.com',
				inboundDomain: 'reply.parley.example'
			},
			secrets: { appSecret: SECRET },
			cron: { secret: 'cron-token', maxRunSeconds: 30 },
			messaging: { editWindowSeconds: 60, contactMasking: 'always' },
			apiTokens: { createPerHour: 3 },
			inbound: {
				secret: 'inbound-token',
				resendWebhookSecret: 'whsec_abc',
				maxBytes: 1048576,
				dedupeDays: 30,
				requireAuth: 'pass',
				authservIds: ['mx1.parley.example', 'mx2.parley.example']
			},
			limits: {
				login: { perEmailIp: 5, perIp: 20, perEmail: 200, windowSeconds: 600 },
				signupsPerIpPerHour: 4,
				confirmationCooldownSeconds: 300,
				confirmationEmailsPerDay: 3,
				messagesPerMinute: 10,
				messagesPerDay: 500,
				conversationsPerDay: 5,
				typingPerMinute: 30,
				liveStreamsPerUser: 3,
				rentalsPerDay: 7
			},
			ai: {
				model: { baseUrl: 'http://127.0.0.1:11434/v1', apiKey: 'sk-123', model: 'llama3.2' },
				timeoutMs: 5000,
				dailyCallsPerUser: 0,
				devStandIn: false
			},
			attachments: {
				maxBytes: 1_000_000,
				maxPixels: 4_000_000,
				storage: {
					driver: 's3',
					bucket: 'parley-files',
					region: 'auto',
					endpoint: 'http://127.0.0.1:9000',
					accessKeyId: 'key',
					secretAccessKey: 'secret',
					forcePathStyle: true,
					downloads: 'redirect'
				},
				clamav: { host: 'clamd.internal', port: 3311, timeoutMs: 5000 }
			}
		});
		expect(loadConfig({ CLAMAV_SOCKET: '/run/clamav/clamd.ctl' }).attachments.clamav).toEqual({
			socket: '/run/clamav/clamd.ctl',
			timeoutMs: 30_000
		});
		const s3 = loadConfig({ S3_BUCKET: 'b' }).attachments.storage;
		expect(s3.driver === 's3' && s3.downloads).toBe('proxy');
		expect(problemsOf({ S3_DOWNLOADS: 'redirect' })).toEqual([
			{
				variable: 'S3_DOWNLOADS',
				message: 'redirect needs S3 storage (set S3_BUCKET), or leave it unset for proxy'
			}
		]);
		expect(problemsOf({ S3_BUCKET: 'b', S3_DOWNLOADS: 'presigned' })).toEqual([
			{ variable: 'S3_DOWNLOADS', message: 'must be one of proxy, redirect (got "presigned")' }
		]);
		expect(problemsOf({ S3_BUCKET: 'b', S3_ACCESS_KEY_ID: 'key' })).toEqual([
			{
				variable: 'S3_SECRET_ACCESS_KEY',
				message:
					'set S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY together (or neither, for the AWS default credentials)'
			}
		]);
	});

	it('refuses an inbound domain that is not a domain name', () => {
		expect(problemsOf({ INBOUND_EMAIL_DOMAIN: 'reply@example.com' })[0]?.variable).toBe(
			'INBOUND_EMAIL_DOMAIN'
		);
	});

	it('accepts the Postgres URLs postgres.js accepts, host lists included', () => {
		for (const url of [
			'postgresql://localhost/parley',
			'postgres://u:p@h1:5432,h2:5433/parley?sslmode=require',
			'postgres:///parley?host=/var/run/postgresql'
		]) {
			expect(loadConfig({ DATABASE_URL: url }).database).toMatchObject({ driver: 'postgres', url });
		}
	});

	it('turns the JIT compiler off on Postgres unless told to leave it to the server', () => {
		const url = 'postgres://localhost/parley';
		expect(loadConfig({ DATABASE_URL: url }).database).toMatchObject({ jit: 'off' });
		expect(loadConfig({ DATABASE_URL: url, DATABASE_JIT: 'server' }).database).toMatchObject({
			jit: 'server'
		});
	});

	it('returns a frozen configuration', () => {
		const config = loadConfig({});
		expect(Object.isFrozen(config)).toBe(true);
		expect(Object.isFrozen(config.email)).toBe(true);
		expect(() => {
			(config.messaging as { editWindowSeconds: number }).editWindowSeconds = 1;
		}).toThrow(TypeError);
	});

	it.each([
		['NOTIFY_DELAY_SECONDS', 'abc', 'must be a whole number >= 0 (got "abc")'],
		['NOTIFY_DELAY_SECONDS', '-5', 'must be a whole number >= 0 (got "-5")'],
		['NOTIFY_COOLDOWN_SECONDS', '1.5', 'must be a whole number >= 0 (got "1.5")'],
		['CRON_MAX_SECONDS', '0', 'must be a whole number >= 1 (got "0")'],
		['DATABASE_POOL_SIZE', '0', 'must be a whole number >= 1 (got "0")'],
		['DATABASE_POOL_SIZE', '10 connections', 'must be a whole number >= 1'],
		['EMAIL_SEND_TIMEOUT_MS', '50', 'must be a whole number >= 100 (got "50")'],
		['MESSAGE_EDIT_WINDOW_SECONDS', '15m', 'must be a whole number >= 0 (got "15m")'],
		['DATABASE_PREPARE', 'maybe', 'must be true or false (got "maybe")'],
		['DATABASE_JIT', 'on', 'must be one of off, server (got "on")'],
		[
			'CONTACT_MASKING',
			'sometimes',
			'must be one of until-accepted, always, off (got "sometimes")'
		],
		['DATABASE_URL', 'not a url', 'must be a postgres:// or postgresql:// URL'],
		['DATABASE_URL', 'mysql://root@localhost/parley', 'must be a postgres:// or postgresql:// URL'],
		[
			'DATABASE_URL',
			'postgres://u@host:99999/parley',
			'must be a postgres:// or postgresql:// URL'
		],
		['RESEND_BASE_URL', 'localhost:9000', 'must be an http:// or https:// URL'],
		['ORIGIN', 'parley.example.com', 'must be an http:// or https:// URL'],
		['PUBLIC_ORIGIN', 'ftp://parley.example.com', 'must be an http:// or https:// URL'],
		['EMAIL_FROM', 'Parley', 'must be an address like'],
		['APP_SECRET', 'too-short', 'must be at least 32 characters (got 9)'],
		['AI_TIMEOUT_MS', '10', 'must be a whole number >= 100 (got "10")'],
		['AI_DAILY_CALLS_PER_USER', 'lots', 'must be a whole number >= 0']
	])('rejects %s=%s', (variable, value, message) => {
		const problems = problemsOf({ [variable]: value });
		expect(problems).toHaveLength(1);
		expect(problems[0]?.variable).toBe(variable);
		expect(problems[0]?.message).toContain(message);
	});

	it('needs INBOUND_AUTHSERV_ID for INBOUND_REQUIRE_AUTH=pass', () => {
		expect(problemsOf({ INBOUND_REQUIRE_AUTH: 'pass' })).toEqual([
			{ variable: 'INBOUND_AUTHSERV_ID', message: expect.stringContaining('required with') }
		]);
		expect(problemsOf({ INBOUND_REQUIRE_AUTH: 'strict' })[0]?.message).toContain(
			'must be one of dmarc, pass, off'
		);
	});

	it('takes the AI model as AI_BASE_URL and AI_MODEL together, or not at all', () => {
		expect(problemsOf({ AI_MODEL: 'gpt-4o-mini' })).toEqual([
			{ variable: 'AI_BASE_URL', message: expect.stringContaining('required with AI_MODEL') }
		]);
		expect(problemsOf({ AI_BASE_URL: 'https://api.openai.com/v1' })).toEqual([
			{ variable: 'AI_MODEL', message: expect.stringContaining('required with AI_BASE_URL') }
		]);
		expect(loadConfig({ AI_API_KEY: 'sk-unused' }).ai.model).toBeNull();
		expect(problemsOf({ AI_BASE_URL: 'localhost:11434', AI_MODEL: 'llama3.2' })).toEqual([
			{
				variable: 'AI_BASE_URL',
				message: expect.stringContaining('must be an http:// or https://')
			}
		]);
	});

	it('never echoes a database URL, which carries the password', () => {
		const [problem] = problemsOf({ DATABASE_URL: 'postgres://app:hunter2@db:port/parley' });
		expect(problem?.variable).toBe('DATABASE_URL');
		expect(problem?.message).not.toContain('hunter2');
	});

	it('reports every problem at once, in one message', () => {
		const env = {
			NODE_ENV: 'production',
			NOTIFY_DELAY_SECONDS: 'abc',
			DATABASE_POOL_SIZE: '0',
			DATABASE_PREPARE: 'maybe',
			ORIGIN: 'nope'
		};
		expect(problemsOf(env).map((p) => p.variable)).toEqual([
			'DATABASE_POOL_SIZE',
			'DATABASE_PREPARE',
			'NOTIFY_DELAY_SECONDS',
			'ORIGIN',
			'APP_SECRET'
		]);
		expect(() => loadConfig(env)).toThrow(
			/^Parley cannot start: the configuration is invalid:\n {2}- DATABASE_POOL_SIZE: .*\n {2}- DATABASE_PREPARE: .*\n {2}- NOTIFY_DELAY_SECONDS: must be a whole number >= 0 \(got "abc"\)\n {2}- ORIGIN: .*\n {2}- APP_SECRET: required in production/
		);
	});

	describe('APP_SECRET', () => {
		it('is required in production', () => {
			const [problem, ...rest] = problemsOf({ NODE_ENV: 'production' });
			expect(rest).toEqual([]);
			expect(problem).toEqual({
				variable: 'APP_SECRET',
				message: expect.stringContaining('required in production')
			});
		});

		it('must not be the development default in production', () => {
			const devSecret = loadConfig({}).secrets.appSecret;
			const [problem] = problemsOf({ NODE_ENV: 'production', APP_SECRET: devSecret });
			expect(problem?.variable).toBe('APP_SECRET');
			expect(problem?.message).toContain('development default');
		});

		it('is taken as given in production when long enough', () => {
			expect(loadConfig({ NODE_ENV: 'production', APP_SECRET: SECRET }).secrets.appSecret).toBe(
				SECRET
			);
		});

		it('has a development default outside production', () => {
			expect(loadConfig({ NODE_ENV: 'development' }).secrets.appSecret).toMatch(/\S{32,}/);
			expect(loadConfig({ NODE_ENV: 'test' }).production).toBe(false);
		});
	});
});
