import { eq } from 'drizzle-orm';
import { languageSchema } from '$lib/schemas/assistant';
import type { Db } from '../db';
import { users } from '../db/schema';

// The assistant's language for a user: their setting, else their browser's first preference
// (Accept-Language, which the browser sends with every request), else none.

export async function getAssistantLanguage(db: Db, userId: string): Promise<string | null> {
	const [row] = await db
		.select({ language: users.assistantLanguage })
		.from(users)
		.where(eq(users.id, userId));
	return row?.language ?? null;
}

/** Null: follow the browser again. */
export async function setAssistantLanguage(
	db: Db,
	userId: string,
	language: string | null
): Promise<string | null> {
	await db.update(users).set({ assistantLanguage: language }).where(eq(users.id, userId));
	return language;
}

/** The most preferred valid tag of an Accept-Language header (lower-case), or null. */
export function browserLanguage(acceptLanguage: string | null | undefined): string | null {
	if (!acceptLanguage) return null;
	const ranked = acceptLanguage
		.split(',')
		.map((part, index) => {
			const [tag = '', ...params] = part.trim().split(';');
			const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find(Boolean);
			return { tag: tag.trim(), q: q === undefined ? 1 : Number(q), index };
		})
		.filter((l) => l.q > 0 && l.tag !== '*')
		.sort((a, b) => b.q - a.q || a.index - b.index);
	for (const { tag } of ranked) {
		const parsed = languageSchema.safeParse(tag);
		if (parsed.success) return parsed.data;
	}
	return null;
}

/** The language the assistant uses for this user on this request. */
export async function resolveAssistantLanguage(
	db: Db,
	userId: string,
	acceptLanguage: string | null | undefined
): Promise<string | null> {
	return (await getAssistantLanguage(db, userId)) ?? browserLanguage(acceptLanguage);
}
