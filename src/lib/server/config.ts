// Every setting, read from the environment and validated by one schema (README lists them all).
// A bad value is an error that names the variable, never a silent fallback to the default: the
// server checks the whole configuration once at start-up and refuses to start when it is invalid.
import { z } from 'zod';

export interface DatabaseSettingsBase {
	/** The SQL migrations applied at start-up, relative to the working directory. */
	migrationsDir: string;
}

/** DATABASE_URL picks Postgres; without it the embedded PGlite keeps its data in a folder. */
export type DatabaseSettings = DatabaseSettingsBase &
	(
		| {
				driver: 'postgres';
				url: string;
				maxConnections: number;
				prepare: boolean;
				/** `off`: the connections turn the JIT compiler off; `server`: the server's setting. */
				jit: 'off' | 'server';
		  }
		| { driver: 'pglite'; dataDir: string }
	);

export interface NotificationSettings {
	/** A message becomes due for email this long after it was written. */
	delaySeconds: number;
	/** At most one email per recipient and thread within this long. */
	cooldownSeconds: number;
}

export interface EmailSettings {
	from: string;
	/** Without a key nothing leaves the machine: emails are recorded as `logged`. */
	resendApiKey: string | null;
	resendBaseUrl: string | null;
	/** How long one call to the provider may take before it counts as failed (and is retried). */
	sendTimeoutMs: number;
	/** The public address of the app, for links in emails. */
	publicOrigin: string;
	/** Replies go to reply+TOKEN@ this domain; null: emails cannot be answered. */
	inboundDomain?: string | null;
}

export interface InboundSettings {
	/** Bearer token of POST /api/inbound/mime; without one that door refuses every call. */
	secret: string | null;
	/** Resend's webhook signing secret (whsec_...); without one POST /api/inbound/resend refuses. */
	resendWebhookSecret: string | null;
	/** The largest raw email either door takes; a larger one is dropped (and answered 200). */
	maxBytes: number;
	/** How long a received email's Message-ID is remembered, so a late retry posts nothing. */
	dedupeDays: number;
	/** What the receiving server's Authentication-Results must say (auth-results.ts). */
	requireAuth: 'dmarc' | 'pass' | 'off';
	/** The authserv-ids (lower case) whose Authentication-Results headers are trusted. */
	authservIds: string[];
}

export interface SecretSettings {
	/** Signs unsubscribe links; every instance must share it. */
	appSecret: string;
}

export interface CronSettings {
	/** Bearer token for the cron endpoint; without one the endpoint refuses every call. */
	secret: string | null;
	/** A cron run stops claiming work when it nears this budget. */
	maxRunSeconds: number;
}

export interface MessagingSettings {
	/** How long after sending a sender may still edit their own message. */
	editWindowSeconds: number;
	/**
	 * Whether contact details in a message are hidden from its recipient: while the rental is
	 * requested (`until-accepted`), in every message (`always`), or never (`off`).
	 */
	contactMasking: 'until-accepted' | 'always' | 'off';
}

export interface ApiTokenSettings {
	/** How many API tokens one user may create per hour (revoked ones count). */
	createPerHour: number;
}

export interface LoginLimitSettings {
	/** Failed logins per (email, IP) pair within the window: the first throttle. */
	perEmailIp: number;
	/** Failed logins from one IP, whatever the email. */
	perIp: number;
	/** Failed logins for one email from all IPs together: much higher, so others cannot lock you out. */
	perEmail: number;
	windowSeconds: number;
}

/** Rate limits, counted in Postgres so every instance shares them (429 with Retry-After). */
export interface RateLimitSettings {
	login: LoginLimitSettings;
	signupsPerIpPerHour: number;
	/** At most one confirmation (or "you already have an account") email per address this often. */
	confirmationCooldownSeconds: number;
	/** And at most this many per address per 24 hours. */
	confirmationEmailsPerDay: number;
	messagesPerMinute: number;
	messagesPerDay: number;
	/** Conversations a user opens (their first message in a thread) per day. */
	conversationsPerDay: number;
	typingPerMinute: number;
	/** Open live streams per user; a new one past this closes the oldest. */
	liveStreamsPerUser: number;
	rentalsPerDay: number;
}

/** An OpenAI-compatible chat endpoint (OpenAI, Ollama, vLLM, a gateway). */
export interface AiModelSettings {
	baseUrl: string;
	/** Optional: a local Ollama or vLLM takes none. */
	apiKey: string | null;
	model: string;
}

export interface AiSettings {
	/** Null unless AI_BASE_URL and AI_MODEL are set: then no AI control shows and nothing calls out. */
	model: AiModelSettings | null;
	/** How long one call to the model may take, streaming included, before it is aborted. */
	timeoutMs: number;
	/** Model calls one user may cause per UTC day (drafts, translations, summaries, auto replies). */
	dailyCallsPerUser: number;
	/** `npm run dev` without a model: use the stand-in model (stand-in.ts). */
	devStandIn: boolean;
}

/** Where attachments are kept: a folder (one instance) or an S3-compatible bucket (several). */
export type AttachmentStorageSettings =
	| { driver: 'local'; dir: string }
	| {
			driver: 's3';
			bucket: string;
			region: string;
			endpoint: string | null;
			accessKeyId: string | null;
			secretAccessKey: string | null;
			forcePathStyle: boolean;
			/**
			 * `proxy`: downloads stream through the app with its headers (nosniff, CSP sandbox).
			 * `redirect`: after the party check, a 302 to a presigned URL valid 5 minutes, so the
			 * bucket serves the bytes (the pages' img-src then allows the bucket's origin).
			 */
			downloads: 'proxy' | 'redirect';
	  };

export interface AttachmentSettings {
	/** The largest file one upload may carry; a larger one is cut off as it streams (413). */
	maxBytes: number;
	/** Images with more pixels than this are refused before they are decoded. */
	maxPixels: number;
	storage: AttachmentStorageSettings;
	/** ClamAV's clamd, when configured: every upload is scanned before it is stored. */
	clamav:
		| { socket: string; timeoutMs: number }
		| { host: string; port: number; timeoutMs: number }
		| null;
}

export interface Config {
	/** NODE_ENV is `production`. */
	production: boolean;
	database: DatabaseSettings;
	notifications: NotificationSettings;
	email: EmailSettings;
	secrets: SecretSettings;
	cron: CronSettings;
	messaging: MessagingSettings;
	apiTokens: ApiTokenSettings;
	inbound: InboundSettings;
	limits: RateLimitSettings;
	ai: AiSettings;
	attachments: AttachmentSettings;
}

export type Env = Readonly<Record<string, string | undefined>>;

export interface ConfigProblem {
	variable: string;
	message: string;
}

/** The configuration is invalid; `problems` names every variable at fault, not just the first. */
export class ConfigError extends Error {
	constructor(readonly problems: ConfigProblem[]) {
		super(
			'Parley cannot start: the configuration is invalid:\n' +
				problems.map((p) => `  - ${p.variable}: ${p.message}`).join('\n')
		);
		this.name = 'ConfigError';
	}
}

export const DEFAULT_PGLITE_DATA_DIR = '.data/pglite';
export const DEFAULT_ATTACHMENTS_DIR = '.data/attachments';
export const DEFAULT_ATTACHMENT_MAX_BYTES = 25 * 1024 * 1024;
export const APP_SECRET_MIN_LENGTH = 32;
const DEV_APP_SECRET = 'parley-development-secret-do-not-use-in-production';

// A `NAME=` line in an env file means "unset", so blank values take the default.
const text = z
	.string()
	.optional()
	.transform((raw) => raw?.trim() || undefined);

function wholeNumber(fallback: number, min: number) {
	return text.transform((value, ctx) => {
		if (value === undefined) return fallback;
		const n = Number(value);
		if (/^\d+$/.test(value) && Number.isSafeInteger(n) && n >= min) return n;
		ctx.addIssue({
			code: 'custom',
			message: `must be a whole number >= ${min} (got ${JSON.stringify(value)})`
		});
		return z.NEVER;
	});
}

function trueOrFalse(fallback: boolean) {
	return text.transform((value, ctx) => {
		if (value === undefined) return fallback;
		const lower = value.toLowerCase();
		if (lower === 'true' || lower === 'false') return lower === 'true';
		ctx.addIssue({
			code: 'custom',
			message: `must be true or false (got ${JSON.stringify(value)})`
		});
		return z.NEVER;
	});
}

function oneOf<const T extends readonly string[]>(values: T, fallback: T[number]) {
	return text.transform((value, ctx): T[number] => {
		if (value === undefined) return fallback;
		const lower = value.toLowerCase();
		const found = values.find((v) => v === lower);
		if (found !== undefined) return found;
		ctx.addIssue({
			code: 'custom',
			message: `must be one of ${values.join(', ')} (got ${JSON.stringify(value)})`
		});
		return z.NEVER;
	});
}

function httpUrl() {
	return text.transform((value, ctx) => {
		if (value === undefined) return undefined;
		if (URL.canParse(value) && /^https?:$/.test(new URL(value).protocol)) {
			return value.replace(/\/+$/, '');
		}
		ctx.addIssue({
			code: 'custom',
			message: `must be an http:// or https:// URL (got ${JSON.stringify(value)})`
		});
		return z.NEVER;
	});
}

// postgres.js takes a comma-separated host list, which URL() rejects: check the rest with the first
// host. The value is never echoed back, since it usually carries a password.
const databaseUrl = text.transform((value, ctx) => {
	if (value === undefined) return undefined;
	if (/^postgres(ql)?:\/\//i.test(value)) {
		const authority = value.slice(value.indexOf('://') + 3).split(/[?/]/, 1)[0] ?? '';
		const hosts = authority.slice(authority.lastIndexOf('@') + 1);
		if (URL.canParse(value.replace(hosts, hosts.split(',', 1)[0] ?? ''))) return value;
	}
	ctx.addIssue({ code: 'custom', message: 'must be a postgres:// or postgresql:// URL' });
	return z.NEVER;
});

const emailFrom = text.transform((value, ctx) => {
	if (value === undefined) return 'Parley <notifications@parley.localhost>';
	if (/^(?:[^<>]*<[^\s<>@]+@[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+)$/.test(value)) return value;
	ctx.addIssue({
		code: 'custom',
		message: `must be an address like "Parley <notifications@example.com>" (got ${JSON.stringify(value)})`
	});
	return z.NEVER;
});

const domainName = text.transform((value, ctx) => {
	if (value === undefined) return undefined;
	const lower = value.toLowerCase();
	if (/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/.test(lower))
		return lower;
	ctx.addIssue({
		code: 'custom',
		message: `must be a domain name like reply.example.com (got ${JSON.stringify(value)})`
	});
	return z.NEVER;
});

const envSchema = z
	.object({
		NODE_ENV: text,
		DATABASE_URL: databaseUrl,
		DATABASE_POOL_SIZE: wholeNumber(10, 1),
		DATABASE_PREPARE: trueOrFalse(true),
		DATABASE_JIT: oneOf(['off', 'server'] as const, 'off'),
		PGLITE_DATA_DIR: text,
		MIGRATIONS_DIR: text,
		APP_SECRET: text,
		CRON_SECRET: text,
		NOTIFY_DELAY_SECONDS: wholeNumber(300, 0),
		NOTIFY_COOLDOWN_SECONDS: wholeNumber(900, 0),
		CRON_MAX_SECONDS: wholeNumber(50, 1),
		RESEND_API_KEY: text,
		RESEND_BASE_URL: httpUrl(),
		EMAIL_FROM: emailFrom,
		EMAIL_SEND_TIMEOUT_MS: wholeNumber(20_000, 100),
		ORIGIN: httpUrl(),
		PUBLIC_ORIGIN: httpUrl(),
		MESSAGE_EDIT_WINDOW_SECONDS: wholeNumber(900, 0),
		API_TOKENS_PER_HOUR: wholeNumber(10, 1),
		INBOUND_EMAIL_DOMAIN: domainName,
		INBOUND_SECRET: text,
		RESEND_WEBHOOK_SECRET: text,
		INBOUND_MAX_BYTES: wholeNumber(25 * 1024 * 1024, 1024),
		INBOUND_DEDUPE_DAYS: wholeNumber(90, 1),
		INBOUND_REQUIRE_AUTH: oneOf(['dmarc', 'pass', 'off'] as const, 'dmarc'),
		INBOUND_AUTHSERV_ID: text,
		LOGIN_WINDOW_SECONDS: wholeNumber(900, 1),
		LOGIN_FAILURES_PER_EMAIL_IP: wholeNumber(10, 1),
		LOGIN_FAILURES_PER_IP: wholeNumber(30, 1),
		LOGIN_FAILURES_PER_EMAIL: wholeNumber(100, 1),
		SIGNUPS_PER_IP_PER_HOUR: wholeNumber(10, 1),
		EMAIL_CONFIRM_COOLDOWN_SECONDS: wholeNumber(120, 1),
		EMAIL_CONFIRM_PER_DAY: wholeNumber(5, 1),
		MESSAGES_PER_MINUTE: wholeNumber(30, 1),
		MESSAGES_PER_DAY: wholeNumber(1000, 1),
		CONVERSATIONS_PER_DAY: wholeNumber(20, 1),
		TYPING_EVENTS_PER_MINUTE: wholeNumber(60, 1),
		LIVE_STREAMS_PER_USER: wholeNumber(10, 1),
		RENTALS_PER_DAY: wholeNumber(20, 1),
		AI_BASE_URL: httpUrl(),
		AI_API_KEY: text,
		AI_MODEL: text,
		AI_TIMEOUT_MS: wholeNumber(30_000, 100),
		AI_DAILY_CALLS_PER_USER: wholeNumber(100, 0),
		AI_DEV_STAND_IN: trueOrFalse(true),
		CONTACT_MASKING: oneOf(['until-accepted', 'always', 'off'] as const, 'until-accepted'),
		ATTACHMENT_MAX_BYTES: wholeNumber(DEFAULT_ATTACHMENT_MAX_BYTES, 1),
		ATTACHMENT_MAX_PIXELS: wholeNumber(50_000_000, 1),
		ATTACHMENTS_DIR: text,
		S3_BUCKET: text,
		S3_REGION: text,
		S3_ENDPOINT: httpUrl(),
		S3_ACCESS_KEY_ID: text,
		S3_SECRET_ACCESS_KEY: text,
		S3_FORCE_PATH_STYLE: trueOrFalse(false),
		S3_DOWNLOADS: oneOf(['proxy', 'redirect'] as const, 'proxy'),
		CLAMAV_HOST: text,
		CLAMAV_PORT: wholeNumber(3310, 1),
		CLAMAV_SOCKET: text,
		CLAMAV_TIMEOUT_MS: wholeNumber(30_000, 100)
	})
	// Runs even when other variables failed, so one start-up reports every problem at once.
	.superRefine(
		(
			{ NODE_ENV, APP_SECRET, S3_BUCKET, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, S3_DOWNLOADS },
			ctx
		) => {
			const problem = appSecretProblem(APP_SECRET, NODE_ENV === 'production');
			if (problem) ctx.addIssue({ code: 'custom', path: ['APP_SECRET'], message: problem });
			// A key without its secret (or the other way round) is a typo, not the SDK's default chain.
			if (S3_BUCKET && !S3_ACCESS_KEY_ID !== !S3_SECRET_ACCESS_KEY) {
				const missing = S3_ACCESS_KEY_ID ? 'S3_SECRET_ACCESS_KEY' : 'S3_ACCESS_KEY_ID';
				ctx.addIssue({
					code: 'custom',
					path: [missing],
					message:
						'set S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY together (or neither, for the AWS default credentials)'
				});
			}
			// Files on local disk have no bucket to redirect to: asking for it is a mistake.
			if (S3_DOWNLOADS === 'redirect' && !S3_BUCKET) {
				ctx.addIssue({
					code: 'custom',
					path: ['S3_DOWNLOADS'],
					message: 'redirect needs S3 storage (set S3_BUCKET), or leave it unset for proxy'
				});
			}
		},
		{ when: () => true }
	)
	// Requiring a pass that no trusted header can give would refuse every reply.
	.superRefine(
		({ INBOUND_REQUIRE_AUTH, INBOUND_AUTHSERV_ID }, ctx) => {
			if (INBOUND_REQUIRE_AUTH === 'pass' && !INBOUND_AUTHSERV_ID) {
				ctx.addIssue({
					code: 'custom',
					path: ['INBOUND_AUTHSERV_ID'],
					message:
						'required with INBOUND_REQUIRE_AUTH=pass (the authserv-id your receiving mail server writes in Authentication-Results, e.g. mx.example.com)'
				});
			}
		},
		{ when: () => true }
	)
	// Half a model configuration is a mistake, not "off".
	.superRefine(
		({ AI_BASE_URL, AI_MODEL }, ctx) => {
			if (AI_BASE_URL && !AI_MODEL) {
				ctx.addIssue({
					code: 'custom',
					path: ['AI_MODEL'],
					message: 'required with AI_BASE_URL (the model name, e.g. gpt-4o-mini or llama3.2)'
				});
			}
			if (AI_MODEL && !AI_BASE_URL) {
				ctx.addIssue({
					code: 'custom',
					path: ['AI_BASE_URL'],
					message: 'required with AI_MODEL (e.g. https://api.openai.com/v1)'
				});
			}
		},
		{ when: () => true }
	)
	.transform((env): Config => {
		const migrationsDir = env.MIGRATIONS_DIR ?? 'drizzle';
		return {
			production: env.NODE_ENV === 'production',
			database: env.DATABASE_URL
				? {
						driver: 'postgres',
						url: env.DATABASE_URL,
						maxConnections: env.DATABASE_POOL_SIZE,
						prepare: env.DATABASE_PREPARE,
						jit: env.DATABASE_JIT,
						migrationsDir
					}
				: {
						driver: 'pglite',
						dataDir: env.PGLITE_DATA_DIR ?? DEFAULT_PGLITE_DATA_DIR,
						migrationsDir
					},
			notifications: {
				delaySeconds: env.NOTIFY_DELAY_SECONDS,
				cooldownSeconds: env.NOTIFY_COOLDOWN_SECONDS
			},
			email: {
				from: env.EMAIL_FROM,
				resendApiKey: env.RESEND_API_KEY ?? null,
				resendBaseUrl: env.RESEND_BASE_URL ?? null,
				sendTimeoutMs: env.EMAIL_SEND_TIMEOUT_MS,
				publicOrigin: env.ORIGIN ?? env.PUBLIC_ORIGIN ?? 'http://localhost:5173',
				inboundDomain: env.INBOUND_EMAIL_DOMAIN ?? null
			},
			secrets: { appSecret: env.APP_SECRET ?? DEV_APP_SECRET },
			cron: { secret: env.CRON_SECRET ?? null, maxRunSeconds: env.CRON_MAX_SECONDS },
			messaging: {
				editWindowSeconds: env.MESSAGE_EDIT_WINDOW_SECONDS,
				contactMasking: env.CONTACT_MASKING
			},
			apiTokens: { createPerHour: env.API_TOKENS_PER_HOUR },
			inbound: {
				secret: env.INBOUND_SECRET ?? null,
				resendWebhookSecret: env.RESEND_WEBHOOK_SECRET ?? null,
				maxBytes: env.INBOUND_MAX_BYTES,
				dedupeDays: env.INBOUND_DEDUPE_DAYS,
				requireAuth: env.INBOUND_REQUIRE_AUTH,
				authservIds: (env.INBOUND_AUTHSERV_ID ?? '')
					.split(',')
					.map((id) => id.trim().toLowerCase())
					.filter(Boolean)
			},
			limits: {
				login: {
					perEmailIp: env.LOGIN_FAILURES_PER_EMAIL_IP,
					perIp: env.LOGIN_FAILURES_PER_IP,
					perEmail: env.LOGIN_FAILURES_PER_EMAIL,
					windowSeconds: env.LOGIN_WINDOW_SECONDS
				},
				signupsPerIpPerHour: env.SIGNUPS_PER_IP_PER_HOUR,
				confirmationCooldownSeconds: env.EMAIL_CONFIRM_COOLDOWN_SECONDS,
				confirmationEmailsPerDay: env.EMAIL_CONFIRM_PER_DAY,
				messagesPerMinute: env.MESSAGES_PER_MINUTE,
				messagesPerDay: env.MESSAGES_PER_DAY,
				conversationsPerDay: env.CONVERSATIONS_PER_DAY,
				typingPerMinute: env.TYPING_EVENTS_PER_MINUTE,
				liveStreamsPerUser: env.LIVE_STREAMS_PER_USER,
				rentalsPerDay: env.RENTALS_PER_DAY
			},
			ai: {
				model:
					env.AI_BASE_URL && env.AI_MODEL
						? { baseUrl: env.AI_BASE_URL, apiKey: env.AI_API_KEY ?? null, model: env.AI_MODEL }
						: null,
				timeoutMs: env.AI_TIMEOUT_MS,
				dailyCallsPerUser: env.AI_DAILY_CALLS_PER_USER,
				devStandIn: env.AI_DEV_STAND_IN
			},
			attachments: {
				maxBytes: env.ATTACHMENT_MAX_BYTES,
				maxPixels: env.ATTACHMENT_MAX_PIXELS,
				storage: env.S3_BUCKET
					? {
							driver: 's3',
							bucket: env.S3_BUCKET,
							region: env.S3_REGION ?? 'us-east-1',
							endpoint: env.S3_ENDPOINT ?? null,
							accessKeyId: env.S3_ACCESS_KEY_ID ?? null,
							secretAccessKey: env.S3_SECRET_ACCESS_KEY ?? null,
							forcePathStyle: env.S3_FORCE_PATH_STYLE,
							downloads: env.S3_DOWNLOADS
						}
					: { driver: 'local', dir: env.ATTACHMENTS_DIR ?? DEFAULT_ATTACHMENTS_DIR },
				clamav: env.CLAMAV_SOCKET
					? { socket: env.CLAMAV_SOCKET, timeoutMs: env.CLAMAV_TIMEOUT_MS }
					: env.CLAMAV_HOST
						? { host: env.CLAMAV_HOST, port: env.CLAMAV_PORT, timeoutMs: env.CLAMAV_TIMEOUT_MS }
						: null
			}
		};
	});

// Without a secret in production every unsubscribe link (and so every notification email) fails.
function appSecretProblem(secret: string | undefined, production: boolean): string | null {
	if (secret === undefined) {
		return production
			? `required in production (at least ${APP_SECRET_MIN_LENGTH} characters; it signs unsubscribe links, e.g. \`openssl rand -base64 32\`)`
			: null;
	}
	if (secret.length < APP_SECRET_MIN_LENGTH) {
		return `must be at least ${APP_SECRET_MIN_LENGTH} characters (got ${secret.length})`;
	}
	if (production && secret === DEV_APP_SECRET) {
		return 'must not be the development default in production';
	}
	return null;
}

function deepFreeze<T extends object>(value: T): Readonly<T> {
	for (const child of Object.values(value)) {
		if (child && typeof child === 'object') deepFreeze(child);
	}
	return Object.freeze(value);
}

/** Validates `env` and builds the configuration, or throws a ConfigError listing every problem. */
export function loadConfig(env: Env): Readonly<Config> {
	const parsed = envSchema.safeParse(env);
	if (!parsed.success) {
		throw new ConfigError(
			parsed.error.issues.map((issue) => ({
				variable: issue.path.map(String).join('.') || '(environment)',
				message: issue.message
			}))
		);
	}
	return deepFreeze(parsed.data);
}

let processConfig: Readonly<Config> | undefined;

/** The process's configuration, read from `process.env` on first use and kept for its lifetime. */
export function getConfig(): Readonly<Config> {
	processConfig ??= loadConfig(process.env);
	return processConfig;
}

/** Notification timing from `env` when given (tests), otherwise from the process's configuration. */
export function notificationSettings(env?: Env): NotificationSettings {
	return (env ? loadConfig(env) : getConfig()).notifications;
}

/** Email settings from `env` when given (tests), otherwise from the process's configuration. */
export function emailSettings(env?: Env): EmailSettings {
	return (env ? loadConfig(env) : getConfig()).email;
}

/** Attachment settings from `env` when given (tests), otherwise from the process's configuration. */
export function attachmentSettings(env?: Env): AttachmentSettings {
	return (env ? loadConfig(env) : getConfig()).attachments;
}
