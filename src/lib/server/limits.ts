import { getConfig, type RateLimitSettings } from './config';
import type { Db } from './db';
import { enforceLimits, waitText, type LimitSet } from './rate-limit';

// The product's rate limits, one function per action a person can repeat. Each throws
// RateLimitedError: 429 with Retry-After on the API, the message beside the form on pages.
// Messages are counted inside their send (appendMessage's `limits`), the others by one statement
// of their own (rate-limit.ts). Limits are settings (config.ts, README).

const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const limits = () => getConfig().limits;

/**
 * A user's message limits (their own messages, and an assistant's acting for them): for
 * appendMessage, which counts them in the same call as the send.
 */
export function messageLimits(userId: string, settings: RateLimitSettings = limits()): LimitSet {
	return {
		limits: [
			{ key: `messages:minute:${userId}`, max: settings.messagesPerMinute, windowSeconds: MINUTE },
			{ key: `messages:day:${userId}`, max: settings.messagesPerDay, windowSeconds: DAY }
		],
		refusal: (wait) =>
			wait > MINUTE
				? `You have sent ${settings.messagesPerDay} messages today, the most a day allows. You can send more ${waitText(wait)}.`
				: `You are sending messages faster than ${settings.messagesPerMinute} a minute. Wait a moment: you can send again ${waitText(wait)}.`
	};
}

export function enforceTypingLimit(
	db: Db,
	userId: string,
	settings: RateLimitSettings = limits()
): Promise<void> {
	return enforceLimits(db, {
		limits: [{ key: `typing:${userId}`, max: settings.typingPerMinute, windowSeconds: MINUTE }],
		refusal: (wait) => `Too many typing notices; try again ${waitText(wait)}.`
	});
}

export function enforceSignupLimit(
	db: Db,
	ip: string,
	settings: RateLimitSettings = limits()
): Promise<void> {
	return enforceLimits(db, {
		limits: [{ key: `signups:${ip}`, max: settings.signupsPerIpPerHour, windowSeconds: HOUR }],
		refusal: (wait) =>
			`Too many accounts were created from your network. Please try again ${waitText(wait)}.`
	});
}

/** Before a rental request; one that opens the conversation with a note also counts as one. */
export function enforceRentalLimits(
	db: Db,
	userId: string,
	options: { opensConversation: boolean },
	settings: RateLimitSettings = limits()
): Promise<void> {
	return enforceLimits(db, {
		limits: [
			{ key: `rentals:day:${userId}`, max: settings.rentalsPerDay, windowSeconds: DAY },
			...(options.opensConversation
				? [
						{
							key: `conversations:day:${userId}`,
							max: settings.conversationsPerDay,
							windowSeconds: DAY
						}
					]
				: [])
		],
		refusal: (wait) =>
			`You have made ${settings.rentalsPerDay} rental requests today, the most a day allows. You can make more ${waitText(wait)}.`
	});
}
