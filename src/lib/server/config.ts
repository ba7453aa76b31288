// Settings read from the environment in one place, with their defaults (README lists them all).

function intFrom(value: string | undefined, fallback: number, min = 0): number {
	const n = Number(value);
	return value !== undefined && value.trim() !== '' && Number.isFinite(n) && n >= min
		? Math.floor(n)
		: fallback;
}

export interface NotificationSettings {
	/** A message becomes due for email this long after it was written. */
	delaySeconds: number;
	/** At most one email per recipient and thread within this long. */
	cooldownSeconds: number;
	/** A cron run stops claiming work when it nears this budget. */
	maxRunSeconds: number;
}

export function notificationSettings(env: NodeJS.ProcessEnv = process.env): NotificationSettings {
	return {
		delaySeconds: intFrom(env.NOTIFY_DELAY_SECONDS, 300),
		cooldownSeconds: intFrom(env.NOTIFY_COOLDOWN_SECONDS, 900),
		maxRunSeconds: intFrom(env.CRON_MAX_SECONDS, 50, 1)
	};
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
}

export function emailSettings(env: NodeJS.ProcessEnv = process.env): EmailSettings {
	return {
		from: env.EMAIL_FROM?.trim() || 'Parley <notifications@parley.localhost>',
		resendApiKey: env.RESEND_API_KEY?.trim() || null,
		resendBaseUrl: env.RESEND_BASE_URL?.trim() || null,
		sendTimeoutMs: intFrom(env.EMAIL_SEND_TIMEOUT_MS, 20_000, 100),
		publicOrigin: (
			env.ORIGIN?.trim() ||
			env.PUBLIC_ORIGIN?.trim() ||
			'http://localhost:5173'
		).replace(/\/+$/, '')
	};
}

const DEV_SECRET = 'parley-development-secret-do-not-use-in-production';

/** Signs unsubscribe links. Every instance must share it; a development default keeps dev simple. */
export function appSecret(env: NodeJS.ProcessEnv = process.env): string {
	const secret = env.APP_SECRET?.trim();
	if (secret) return secret;
	if (env.NODE_ENV === 'production') {
		throw new Error('APP_SECRET must be set in production (it signs unsubscribe links).');
	}
	return DEV_SECRET;
}
