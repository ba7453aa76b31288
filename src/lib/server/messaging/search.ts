import { createHash } from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';
import type { MessageJson } from '$lib/schemas/messaging';
import type { SearchHit, SearchResults } from '$lib/schemas/search';
import { rowsOf, type Db } from '../db';
import { preparedPerDb } from '../db/prepared';
import { foldedText, scopedTerms, SEARCH_CONFIG } from '../db/search-text';
import {
	contracts,
	messageThreadParticipants as participants,
	messageThreads,
	users
} from '../db/schema';
import { EmptySearchError, InvalidCursorError } from './errors';
import { isPostgresTimestampText } from './timestamp-text';
import { findContractForParty } from './parties';
import {
	allOfWords,
	oneWordTerms,
	scopedIndexQuery,
	searchKeys,
	weekPrefixes,
	WEEK_SECONDS
} from './search-scope';
import {
	containsPattern,
	HEADLINE_MARKS,
	INDEXED_PREFIX_LENGTH,
	lexemeCount,
	narrowestClause,
	parseSearchQuery,
	prefixLength,
	toHighlights,
	withTypedPrefix,
	type ParsedSearch
} from './search-query';
import {
	bodyForViewer,
	buildThreadViews,
	toMessageJson,
	toThreadJson,
	toThreadRow,
	type MessageRow
} from './views';

// Full-text search over the conversations a user is a party to. Every message carries its
// contract's parties (party_ids) and its words (search, a generated tsvector); the GIN index holds
// each word once per party (search-scope.ts), so "these words in my messages" is one index scan
// whose cost follows the viewer's matches, not the number of threads or messages anyone has.
// Ranking reads only the matching rows; highlighting (ts_headline, which parses the text again)
// runs on the page that is returned.

export interface SearchOptions {
	q: string;
	contractId?: string;
	from?: 'me' | 'them';
	after?: Date;
	before?: Date;
	includeSystem?: boolean;
	/** Only messages with files attached. */
	hasAttachments?: boolean;
	sort?: 'relevance' | 'recent';
	cursor?: string;
	limit: number;
}

/** Conversations matched by name or title, listed above the messages on the first page. */
export const THREAD_MATCHES = 5;

const CONFIG = sql.raw(`'${SEARCH_CONFIG}'::regconfig`);

const MARKS = `StartSel=${HEADLINE_MARKS.start}, StopSel=${HEADLINE_MARKS.stop}`;
/** A message up to this long is its own snippet, whole; a longer one shows its best parts. */
const WHOLE_SNIPPET_LENGTH = 280;
const HEADLINE_WHOLE = `${MARKS}, HighlightAll=true`;
const HEADLINE_PARTS = `${MARKS}, FragmentDelimiter=${HEADLINE_MARKS.fragment}, MaxWords=24, MinWords=10, ShortWord=0, MaxFragments=2`;

interface CompiledQuery {
	/** Everything the query asks for, as tsquery text: filters, ranks and highlights. */
	full: string;
	/** What the index scan looks up: `full`, or without a short prefix that would be costly. */
	index: string;
	/** The query as whole words, the one being typed too (websearch_to_tsquery of the text). */
	words: string;
}

/**
 * Postgres turns the text into tsqueries (websearch_to_tsquery, so its syntax is the documented
 * one) and the word being typed into prefix lexemes; an empty query, or one that only leaves
 * words out, is refused.
 */
async function compileQuery(db: Db, q: string, parsed: ParsedSearch): Promise<CompiledQuery> {
	const [row] = rowsOf<{
		whole: string;
		whole_tree: string;
		rest: string;
		rest_tree: string;
		typed: string;
	}>(
		await db.execute(sql`
			select whole::text as whole, querytree(whole) as whole_tree,
				rest::text as rest, querytree(rest) as rest_tree, typed::text as typed
			from websearch_to_tsquery(${CONFIG}, ${q}) whole,
				websearch_to_tsquery(${CONFIG}, ${parsed.rest}) rest,
				websearch_to_tsquery(${CONFIG}, ${parsed.prefix ?? ''}) typed`)
	);
	const positive = (tree: string | undefined) => !!tree && tree !== 'T';
	if (!row || !positive(row.whole_tree)) throw new EmptySearchError();
	// A word with no lexemes of its own ("a.") stays the word it is.
	const typed = parsed.prefix ? lexemeCount(row.typed) : 0;
	const exact = { full: row.whole, index: row.whole, words: row.whole };
	if (!parsed.prefix || typed === 0) return exact;
	// Every word starting with "co" is a large part of a person's words: in "door co", "door" finds
	// the candidates and the prefix only filters them; alone ("co", "gate or co") it is the word
	// "co".
	// A longer prefix is looked up in the index with the rest.
	const short = prefixLength(parsed.prefix) < INDEXED_PREFIX_LENGTH;
	const restFinds = positive(row.rest_tree) && !parsed.prefixIsAlternative;
	if (short && !restFinds) return exact;
	const full = withTypedPrefix(row.whole, typed);
	return { full, index: short ? row.rest : full, words: row.whole };
}

// ---- cursors ------------------------------------------------------------------------------------

interface Cursor {
	rank?: string;
	at: string;
	id: string;
}

/** Binds a cursor to the query and filters it was made for: another query's cursor is refused. */
function queryKey(options: SearchOptions): string {
	const key = JSON.stringify([
		options.q,
		options.contractId ?? null,
		options.from ?? null,
		options.after?.toISOString() ?? null,
		options.before?.toISOString() ?? null,
		!!options.includeSystem,
		!!options.hasAttachments,
		options.sort ?? 'relevance'
	]);
	return createHash('sha256').update(key).digest('base64url').slice(0, 12);
}

function encodeCursor(cursor: Cursor, key: string): string {
	return Buffer.from(JSON.stringify([key, cursor.rank ?? null, cursor.at, cursor.id])).toString(
		'base64url'
	);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const REAL = /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i;

function decodeCursor(raw: string, key: string, ranked: boolean): Cursor {
	try {
		const value: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
		if (
			Array.isArray(value) &&
			value.length === 4 &&
			value[0] === key &&
			(ranked ? typeof value[1] === 'string' && REAL.test(value[1]) : value[1] === null) &&
			isPostgresTimestampText(value[2]) &&
			typeof value[3] === 'string' &&
			UUID.test(value[3])
		) {
			return { rank: value[1] ?? undefined, at: value[2], id: value[3] };
		}
	} catch {
		// not base64url JSON: refused below like any other bad cursor
	}
	throw new InvalidCursorError();
}

// ---- messages -----------------------------------------------------------------------------------

interface HitRow {
	id: string;
	thread_id: string;
	rank: string;
	cursor_at: string;
	/** Null for the row past the page, which only says whether there is a next one. */
	message: MessageRow | string | null;
	headline: string | null;
}

/**
 * A query's matches in the order of the ranking, without reading all of them: the index's week
 * terms find them a few weeks at a time (rings of weeks back from the week the search starts
 * in), newest first, and the reading stops when the page is full. The ranking has two tiers of
 * equal rank, each newest first:
 * - One word: the messages that hold it twice or more (their own index terms), then the others,
 *   each tier read apart. A word's rank is how often the message holds it, saturating at twice
 *   (TWICE): ts_rank_cd's 0.1 an occurrence would put a long message that repeats a word above
 *   every newer one, and for a word in most messages ("the") ranking all that hold it twice or
 *   more read tens of thousands of them. A longer word that starts with the word being typed
 *   counts as one occurrence.
 * - Several words that must all occur: the messages where they stand side by side as typed
 *   (`door co`: "the door code"), then the others. Ranking by how close together they stand
 *   (ts_rank) read every match: `is th` ranked every message that holds "is". Read in one pass
 *   (newestFirstHits) when a short prefix leaves the lookup to the other words (rankingOf);
 *   otherwise looked up at once and ranked.
 * Sorted by recency alone (`sort=recent`), any query is read in one pass too.
 */
const RINGS: [newest: number, oldest: number][] = [
	// The week after too: the database's clock and the app's may differ.
	[-1, 0],
	[1, 1],
	[2, 3],
	[4, 7],
	[8, 15]
];
/** Everything older than the rings is one last lookup of the word, filtered by time. */
const OLDEST_RING_WEEK = RINGS.at(-1)![1];
/** ts_rank_cd of one occurrence of one word (weight D): the rank of the second tier. */
const ONCE = 0.1;
/** The rank of the first tier: twice or more, or side by side. */
const TWICE = 0.2;

/** A tier of a one-word query: its rank, its index lookup, and which of its rows are its. */
interface Tier {
	rank: number;
	/** The viewer's index query (search-scope.ts) that finds the tier's matches, and maybe more. */
	terms: string;
	/** Which rows of the lookup the tier keeps, on the message `m`. */
	member: SQL;
}

/** The order of a query's matches, and how the rings read them in that order. */
interface Ranking {
	/** A match's rank, on the message `m`. */
	rank: SQL;
	/** The start of the week terms under each of the viewer's keys. */
	weekPrefixes: string[];
	/** How the rings read the matches; null: all of them in one lookup, then ranked. */
	read:
		| { tiers: [Tier, Tier] }
		/** The index query's matches in one pass; `wanted` of rank `top` fill the page. */
		| { terms: string; top: number; lowest: number }
		| null;
}

/**
 * How a query's matches are ranked and read a few weeks at a time; null for a query ranked by
 * ts_rank over all its matches (a phrase, `or`, a negation).
 */
function rankingOf(
	query: CompiledQuery,
	keys: string[],
	indexQuery: string,
	ranked: boolean
): Ranking | null {
	const weeks = weekPrefixes(keys);
	if (!ranked) {
		return {
			rank: sql`0::real`,
			weekPrefixes: weeks,
			read: { terms: indexQuery, top: 0, lowest: 0 }
		};
	}
	const oneWord = oneWordTerms(query.words, keys);
	if (oneWord) {
		const occurrences = sql`ts_rank_cd(m.search, ${query.words}::tsquery)`;
		// The word, or every word that starts with the one being typed.
		const typed = query.full !== query.words;
		return {
			rank: sql`least(greatest(${occurrences}, ${ONCE}::real), ${TWICE}::real)`,
			weekPrefixes: weeks,
			read: {
				tiers: [
					{ rank: TWICE, terms: oneWord.repeated, member: sql`true` },
					{
						rank: ONCE,
						terms: typed ? indexQuery : oneWord.once,
						member: sql`${occurrences} < ${(ONCE + TWICE) / 2}::real`
					}
				]
			}
		};
	}
	const words = allOfWords(query.full);
	if (!words) return null;
	const sideBySide = sql`m.search @@ ${words.join(' <-> ')}::tsquery`;
	return {
		rank: sql`case when ${sideBySide} then ${TWICE}::real else ${ONCE}::real end`,
		weekPrefixes: weeks,
		// A short prefix is left out of the index lookup (compileQuery), so the other words
		// alone find the candidates: for a common word, most of the viewer's messages (`the co`).
		// Otherwise the lookup of all the words at once is the cheaper: a prefix in it expands
		// to every word that starts with it, at every ring.
		read: query.index === query.full ? null : { terms: indexQuery, top: TWICE, lowest: ONCE }
	};
}

interface HitsQuery {
	/** The hits CTE's body: id, thread_id, created_at, rank. */
	hits: SQL;
	/** Whether `hits` already holds only rows after the cursor, at most a page and one. */
	paged: boolean;
}

async function findMessages(
	db: Db,
	viewerId: string,
	query: CompiledQuery,
	options: SearchOptions,
	thread: { id: string; messageCount: number } | null,
	cursor: Cursor | null
): Promise<HitRow[]> {
	const threadId = thread?.id ?? null;
	const ranked = options.sort !== 'recent';
	// System messages are under keys of their own: looked up only when asked for.
	const keys = searchKeys(viewerId, !!options.includeSystem);
	const indexQuery = scopedIndexQuery(query.index, keys);
	if (!indexQuery) throw new EmptySearchError();
	const scoped = scopedTerms(
		sql`m.party_ids`,
		sql`m.search`,
		sql`m.created_at`,
		sql`m.sender_role`
	);
	const where: SQL[] = [
		sql`m.party_ids @> array[${viewerId}::uuid]`,
		// IS TRUE keeps this a filter on the rows the index found, not a second index lookup.
		sql`(m.search @@ ${query.full}::tsquery) is true`,
		sql`m.deleted_at is null`
	];
	// Hidden contact details are no match for the recipient: what they search is what they read.
	where.push(sql`(m.masked_body is null or m.sender_id = ${viewerId}::uuid
		or m.acting_for_id = ${viewerId}::uuid or to_tsvector(${CONFIG}, m.masked_body) @@ ${query.full}::tsquery)`);
	if (!options.includeSystem) where.push(sql`m.sender_role <> 'system'`);
	if (threadId) where.push(sql`m.thread_id = ${threadId}::uuid`);
	if (options.hasAttachments) {
		where.push(sql`exists (select from attachments a where a.message_id = m.id)`);
	}
	if (options.from === 'me') {
		where.push(sql`(m.sender_id = ${viewerId}::uuid or m.acting_for_id = ${viewerId}::uuid)`);
	} else if (options.from === 'them') {
		where.push(sql`m.sender_role <> 'system'
			and m.sender_id is distinct from ${viewerId}::uuid
			and m.acting_for_id is distinct from ${viewerId}::uuid`);
	}
	if (options.after) where.push(sql`m.created_at >= ${options.after.toISOString()}::timestamptz`);
	if (options.before) where.push(sql`m.created_at < ${options.before.toISOString()}::timestamptz`);
	const filters = sql.join(where, sql` and `);
	const wanted = options.limit + 1;

	const ranking = rankingOf(query, keys, indexQuery, ranked);
	// A conversation that is not long is read whole instead of looked up in the index.
	const readThread = !!thread && thread.messageCount <= READ_THREAD_MESSAGES;
	// Other queries are ranked by ts_rank over all their matches: for words that must all occur
	// it weighs every pair of their places by the distance between them (closer and more often
	// rank higher, as with ts_rank_cd), at a fifth of ts_rank_cd's cost a match (0.6 against
	// 3.7 µs at 1M messages).
	const rank = ranking ? ranking.rank : sql`ts_rank(m.search, ${query.full}::tsquery)`;
	const reading = { scoped, filters, cursor, before: options.before, wanted };
	const { hits, paged }: HitsQuery =
		ranking?.read && !readThread
			? {
					hits:
						'tiers' in ranking.read
							? tieredHits(reading, ranking.read.tiers, ranking.weekPrefixes)
							: newestFirstHits(reading, ranking.read, rank, ranking.weekPrefixes),
					paged: true
				}
			: {
					hits: sql`select m.id, m.thread_id, m.created_at, ${rank} as rank
					from messages m
					where ${readThread ? sql`true` : sql`${scoped} @@ ${indexQuery}::tsquery`} and ${filters}`,
					paged: false
				};

	const order = (of: string) =>
		sql.raw(
			ranked
				? `${of}.rank desc, ${of}.created_at desc, ${of}.id desc`
				: `${of}.created_at desc, ${of}.id desc`
		);
	const after =
		!cursor || paged
			? sql``
			: ranked
				? sql`where (rank, created_at, id) < (${cursor.rank}::real, ${cursor.at}::timestamptz, ${cursor.id}::uuid)`
				: sql`where (created_at, id) < (${cursor.at}::timestamptz, ${cursor.id}::uuid)`;

	const body = bodyForViewer(
		{
			body: sql`m.body`,
			maskedBody: sql`m.masked_body`,
			senderId: sql`m.sender_id`,
			actingForId: sql`m.acting_for_id`
		},
		sql`${viewerId}::uuid`
	);
	// The page's rows in one call of parley_message_rows (one plan for all of them, where a call
	// per hit ran its plan once each: 1.5-1.9 -> 0.6-0.9 ms for a page of 20 at 1M messages), and
	// only for the page: the row past it only tells whether there is a next page. Being PL/pgSQL,
	// the call also keeps the statement serial: without it the one-word plans went parallel
	// (a Gather: 16-24 ms for the rare word at 1M, against 5-7 serial).
	const statement = sql`
			with hits as (${hits}), page as (
				select * from hits ${after} order by ${order('hits')} limit ${wanted}
			), rows as (
				select * from parley_message_rows(
					array(select id from page order by ${order('page')} limit ${options.limit}),
					${viewerId}::uuid)
			)
			select page.id, page.thread_id, page.rank::text as rank, page.created_at::text as cursor_at,
				rows.message,
				case when rows.id is not null then ts_headline(${CONFIG}, replace(${body}, '<', ${HEADLINE_MARKS.hiddenLt}), ${query.full}::tsquery,
					case when length(${body}) <= ${WHOLE_SNIPPET_LENGTH} then ${HEADLINE_WHOLE}
						else ${HEADLINE_PARTS} end) end as headline
			from page join messages m on m.id = page.id
			left join rows on rows.id = page.id
			order by ${order('page')}`;
	return rowsOf<HitRow>(await db.execute(statement));
}

/**
 * Up to this many messages, a search inside one conversation reads its messages
 * (messages_thread_seq_key) and checks each against the query: about 1.7 µs a message at 1M
 * messages, so under 2 ms. The index would gather the viewer's matches in every conversation
 * first: 3 ms for a word in 10,641 of the bench's busy provider's messages, 6 of them in a
 * conversation of 35; and the rings, which stop early over all conversations, read every week
 * of those matches when the conversation holds fewer than a page (24.6 -> 6.9 ms a search over
 * the provider's 20 longest conversations). A longer conversation is looked up in the index.
 */
export const READ_THREAD_MESSAGES = 1000;

/** What the rings read: the index lookup's expression, the filters, the cursor, the page. */
interface Reading {
	scoped: SQL;
	filters: SQL;
	cursor: Cursor | null;
	/** Searches with `before` start there: newer weeks hold nothing for them. */
	before: Date | undefined;
	wanted: number;
}

/**
 * For each lookup (rank, index query, the time it starts at) that `keep` keeps, the rings of
 * weeks back from its start in the order they are read: its rank, the ring's number, the ring's
 * index query (the lookup's and the ring's week terms) and, for the last ring, the time before
 * which it reads.
 */
function rings(lookups: SQL[], weekPrefixes: string[], keep: SQL = sql`true`): SQL {
	const rows = [
		...RINGS.map(([newest, oldest], n) => sql`(${n}::int, ${newest}::int, ${oldest}::int)`),
		sql`(${RINGS.length}::int, null::int, null::int)`
	];
	return sql`
		select t.rank, r.n,
			case when r.newest is null then t.terms::tsquery
				else (t.terms || ' & (' || (
					select string_agg(quote_literal(p || w), ' | ')
					from generate_series(s.week - r.oldest, s.week - r.newest) w,
						unnest(array[${sql.join(
							weekPrefixes.map((prefix) => sql`${prefix}::text`),
							sql`, `
						)}]) p
				) || ')')::tsquery end as terms,
			case when r.newest is null
				then to_timestamp((s.week - ${OLDEST_RING_WEEK}) * ${WEEK_SECONDS}) end as before
		from (values ${sql.join(lookups, sql`, `)}) as t(rank, terms, start)
			cross join lateral (
				select floor(extract(epoch from t.start) / ${WEEK_SECONDS})::bigint as week
			) s
			cross join (values ${sql.join(rows, sql`, `)}) as r(n, newest, oldest)
		where ${keep}
		-- By rank only when there are several: the order of one must be the ring's alone, for
		-- a window over the rings in that order to need no sort.
		order by ${lookups.length > 1 ? sql`t.rank desc, r.n` : sql`r.n`}`;
}

const newestOf = (before: Date | undefined) =>
	before ? sql`least(now(), ${before.toISOString()}::timestamptz)` : sql`now()`;

/** The hits of a one-word query after the cursor, each tier read apart: at most `wanted`. */
function tieredHits(
	{ scoped, filters, cursor, before, wanted }: Reading,
	tiers: [Tier, Tier],
	weekPrefixes: string[]
): SQL {
	// A tier above the cursor's is behind it; the cursor's own starts at the cursor's week.
	const lookups = tiers.map(
		(tier) =>
			sql`(${tier.rank}::real, ${tier.terms}::text, ${
				cursor
					? sql`case when ${tier.rank}::real = ${cursor.rank}::real then ${cursor.at}::timestamptz else ${newestOf(before)} end`
					: newestOf(before)
			})`
	);
	const tierAfterCursor = cursor ? sql`t.rank <= ${cursor.rank}::real` : sql`true`;
	const afterCursor = cursor
		? sql`(ring.rank, m.created_at, m.id) < (${cursor.rank}::real, ${cursor.at}::timestamptz, ${cursor.id}::uuid)`
		: sql`true`;
	return sql`
		select hit.* from (${rings(lookups, weekPrefixes, tierAfterCursor)}) ring
		cross join lateral (
			select m.id, m.thread_id, m.created_at, ring.rank
			from messages m
			where ${scoped} @@ ring.terms
				and (ring.before is null or m.created_at < ring.before)
				and ${filters} and ${afterCursor}
				and case ${sql.join(
					tiers.map((tier) => sql`when ring.rank = ${tier.rank}::real then ${tier.member}`),
					sql` `
				)} end
			order by m.created_at desc, m.id desc
			limit ${wanted}
		) hit
		limit ${wanted}`;
}

/**
 * The hits after the cursor of a query read in one pass, ring by ring, each match ranked as it
 * comes: as soon as `wanted` of the top rank are in (the newest of that rank, as the rings are
 * read newest first and each ring best first), the page is in too. Until then every match is
 * kept, so a query with fewer than a page of the top rank reads all of them, as ranking them all
 * would. A window count stops the reading (a run condition: Postgres 15's WindowAgg stops
 * pulling rows once `counted <= wanted` fails).
 */
function newestFirstHits(
	{ scoped, filters, cursor, before, wanted }: Reading,
	{ terms, top, lowest }: { terms: string; top: number; lowest: number },
	rank: SQL,
	weekPrefixes: string[]
): SQL {
	// After a cursor of the lowest rank, only older matches are left; after one of the top rank,
	// lower ones newer than it are too.
	const start = cursor
		? sql`case when ${cursor.rank ?? lowest}::real = ${lowest}::real then ${cursor.at}::timestamptz else ${newestOf(before)} end`
		: newestOf(before);
	const afterCursor = !cursor
		? sql`true`
		: cursor.rank === undefined
			? sql`(m.created_at, m.id) < (${cursor.at}::timestamptz, ${cursor.id}::uuid)`
			: sql`(${rank}, m.created_at, m.id) < (${cursor.rank}::real, ${cursor.at}::timestamptz, ${cursor.id}::uuid)`;
	const lookup = sql`(${top}::real, ${terms}::text, ${start})`;
	return sql`
		select id, thread_id, created_at, rank from (
			select hit.*,
				count(*) filter (where hit.rank = ${top}::real)
					over (order by ring.n rows between unbounded preceding and current row) as counted
			from (${rings([lookup], weekPrefixes)}) ring
			cross join lateral (
				select m.id, m.thread_id, m.created_at, ${rank} as rank
				from messages m
				where ${scoped} @@ ring.terms
					and (ring.before is null or m.created_at < ring.before)
					and ${filters} and ${afterCursor}
				-- OFFSET 0 keeps this a subquery of its own, looked up once a ring.
				order by 4 desc, m.created_at desc, m.id desc offset 0
			) hit
		) read
		where counted <= ${wanted}`;
}

// ---- conversations by name and title ------------------------------------------------------------

/**
 * Any of the terms is part of the (folded) value. As subqueries (`opaque`), the patterns leave
 * Postgres one plan for any of them, which it keeps: planned with their values at every call,
 * the candidates' statement cost the bench's busy provider 1.1 ms (at 1M messages) of planning
 * for 0.1 ms of work. The walk newest first wants the values: its plan depends on how many threads
 * match.
 */
const anyOf = (value: SQL, terms: string[], opaque: boolean) =>
	sql`(${sql.join(
		terms.map((term) => {
			const pattern = foldedText(sql`${containsPattern(term)}::text`);
			return sql`${value} like ${opaque ? sql`(select ${pattern})` : pattern}`;
		}),
		sql` or `
	)})`;

/**
 * Above this many candidates for its narrowest term, a name search walks the viewer's threads
 * newest first instead: a word in most of their titles ("rental") is then found in the first few
 * threads, where gathering and sorting every candidate grows with all of them.
 */
export const NAME_CANDIDATES = 100;

/**
 * A name search first reads this many of the viewer's newest threads: a term in half or more of
 * their titles or names ("rental", or "bench" for the bench's 10,000 "Bench User"s) finds its
 * matches there, where the trigram indexes would find every title or person on the site that
 * holds it. Every search that matches no name pays for reading them (about 12 µs a thread at 1M
 * messages): 20 cost the bench's rare word 13% of its throughput.
 */
export const NAME_WINDOW = 10;

/**
 * Threads whose contract title or counterpart's name contain every term (parts of words too,
 * accents and case aside), most recent first. The viewer's NAME_WINDOW newest threads are read
 * first; when fewer than THREAD_MATCHES of them match, the trigram indexes find the candidates
 * for the narrowest term, at most NAME_CANDIDATES + 1 of the viewer's contracts; when there are
 * more, all the viewer's threads are read newest first (participants_inbox_idx) until
 * THREAD_MATCHES match.
 */
async function findThreadsByName(
	db: Db,
	viewerId: string,
	parsed: ParsedSearch
): Promise<string[]> {
	const narrowest = narrowestClause(parsed.clauses);
	if (!narrowest) return [];
	const foldedTitle = foldedText(sql`c.title`);
	const foldedName = foldedText(sql`cu.display_name`);
	const matching = (opaque: boolean, title = foldedTitle, name = foldedName) => {
		const conditions = parsed.clauses.map(
			(clause) => sql`(${anyOf(title, clause, opaque)} or ${anyOf(name, clause, opaque)})`
		);
		if (parsed.excluded.length > 0) {
			conditions.push(
				sql`not (${anyOf(title, parsed.excluded, opaque)} or ${anyOf(name, parsed.excluded, opaque)})`
			);
		}
		return sql.join(conditions, sql` and `);
	};
	const cap = NAME_CANDIDATES + 1;
	// The counts and lists below past `recent` are initplans, which Postgres runs only when the
	// CASE that holds them reaches them: not when the newest threads have enough matches.
	const [found] = rowsOf<{
		recent: string;
		candidates: number | string | null;
		ids: string | null;
	}>(
		await db.execute(sql`
			with recent as (
				select w.thread_id as id from (
					select p.thread_id, p.last_message_at from message_thread_participants p
					where p.user_id = ${viewerId}::uuid
					-- Spelled like participants_inbox_idx (desc nulls last), so Postgres walks it.
					order by p.last_message_at desc nulls last, p.thread_id desc nulls last
					limit ${NAME_WINDOW}
				) w
				join message_threads t on t.id = w.thread_id
				join contracts c on c.id = t.contract_id
				join users cu on cu.id = case when c.provider_id = ${viewerId}::uuid then c.requester_id else c.provider_id end
				-- Folded once a thread, not once a term (OFFSET 0 keeps Postgres from inlining it).
				cross join lateral (select ${foldedTitle} as title, ${foldedName} as name offset 0) f
				where ${matching(true, sql`f.title`, sql`f.name`)}
				order by w.last_message_at desc nulls last, w.thread_id desc nulls last
				limit ${THREAD_MATCHES}
			), named as (
				select ${users.id} as id from ${users}
				where ${anyOf(foldedText(users.displayName), narrowest, true)}
			), matched as (
				(select ${contracts.id} as id from ${contracts}
				where (${contracts.providerId} = ${viewerId}::uuid or ${contracts.requesterId} = ${viewerId}::uuid)
					and ${anyOf(foldedText(contracts.title), narrowest, true)}
				limit ${cap})
				union
				(select c.id from named n
				join contracts c on c.requester_id = n.id and c.provider_id = ${viewerId}::uuid
				limit ${cap})
				union
				(select c.id from named n
				join contracts c on c.provider_id = n.id and c.requester_id = ${viewerId}::uuid
				limit ${cap})
			), candidates as (
				select id from matched limit ${cap}
			)
			select array_to_string(array(select id from recent), ',') as recent,
				case when (select count(*) from recent) < ${THREAD_MATCHES}
					then (select count(*) from candidates) end as candidates,
				case when (select count(*) from recent) < ${THREAD_MATCHES} then array_to_string(array(
				select t.id from candidates
				join contracts c on c.id = candidates.id
				join message_threads t on t.contract_id = c.id
				join message_thread_participants p on p.thread_id = t.id and p.user_id = ${viewerId}::uuid
				join users cu on cu.id = case when c.provider_id = ${viewerId}::uuid then c.requester_id else c.provider_id end
				where ${matching(true)}
				order by p.last_message_at desc, p.thread_id desc
				limit ${THREAD_MATCHES}
			), ',') end as ids`)
	);
	if (!found) return [];
	const recent = found.recent ? found.recent.split(',') : [];
	if (recent.length === THREAD_MATCHES) return recent;
	if (Number(found.candidates) <= NAME_CANDIDATES) return found.ids ? found.ids.split(',') : [];
	const rows = rowsOf<{ id: string }>(
		await db.execute(sql`
			select p.thread_id as id from message_thread_participants p
			join message_threads t on t.id = p.thread_id
			join contracts c on c.id = t.contract_id
			join users cu on cu.id = case when c.provider_id = ${viewerId}::uuid then c.requester_id else c.provider_id end
			where p.user_id = ${viewerId}::uuid and ${matching(false)}
			-- Spelled like participants_inbox_idx (desc nulls last), so Postgres walks it.
			order by p.last_message_at desc nulls last, p.thread_id desc nulls last
			limit ${THREAD_MATCHES}`)
	);
	return rows.map((r) => r.id);
}

// By the participant rows' primary key (thread_id, user_id), whatever the plan: a generic plan
// that started from the viewer's own index would pass over all their participant rows (5,000 for
// the bench's busy provider, 1.3 ms) to keep the page's twenty. The ids come as a subquery, so
// that no plan sees how many there are and Postgres keeps its one generic plan: with the array
// in view, pages of a few conversations made the custom plans look cheaper, and a connection
// whose first searches were such pages planned this eight-table join again at every search
// (1.1-1.6 ms of `bind` for 0.04 ms of work, as the bench's busy provider at 1M messages).
const threadViewsByIds = preparedPerDb((db) =>
	buildThreadViews(
		db,
		sql`${participants.threadId} = any((select ${sql.placeholder('threadIds')}::uuid[])::uuid[])`,
		{ byThreadIds: true }
	).prepare('search_thread_views')
);

// ---- the search ---------------------------------------------------------------------------------

/**
 * One page of the viewer's messages that match the query (relevance first, newer first among
 * equal matches; or newest first), each with its thread and highlighted snippet, and on the
 * first page the conversations whose title or counterpart's name match. Null when `contractId`
 * names a contract the viewer is not a party to.
 */
export async function searchMessages(
	db: Db,
	viewerId: string,
	options: SearchOptions
): Promise<SearchResults | null> {
	let thread: { id: string; messageCount: number } | null = null;
	if (options.contractId) {
		if (!(await findContractForParty(db, viewerId, options.contractId))) return null;
		[thread = null] = await db
			.select({ id: messageThreads.id, messageCount: messageThreads.messageCount })
			.from(messageThreads)
			.where(sql`${messageThreads.contractId} = ${options.contractId}::uuid`);
		if (!thread) return { threads: [], messages: [], nextCursor: null };
	}
	const parsed = parseSearchQuery(options.q);
	if (!parsed.hasPositiveTerm) throw new EmptySearchError();
	const key = queryKey(options);
	const ranked = options.sort !== 'recent';
	const cursor = options.cursor ? decodeCursor(options.cursor, key, ranked) : null;

	const query = await compileQuery(db, options.q, parsed);
	const [hits, namedThreads] = await Promise.all([
		findMessages(db, viewerId, query, options, thread, cursor),
		cursor || thread ? Promise.resolve([]) : findThreadsByName(db, viewerId, parsed)
	]);
	const threadIds = [
		...new Set([...namedThreads, ...hits.slice(0, options.limit).map((h) => h.thread_id)])
	];
	const views = threadIds.length
		? await threadViewsByIds(db).execute({ viewerId, threadIds: `{${threadIds.join(',')}}` })
		: [];
	const page = hits.slice(0, options.limit);
	const threads = new Map(views.map((row) => [row.id, toThreadRow(row, viewerId)]));

	const messages: SearchHit[] = [];
	for (const hit of page) {
		const thread = threads.get(hit.thread_id);
		if (!thread || !hit.message || hit.headline === null) continue;
		const row: MessageRow = typeof hit.message === 'string' ? JSON.parse(hit.message) : hit.message;
		const message: MessageJson = toMessageJson(row, {
			viewerId,
			contractId: thread.contractId,
			lastReadSeq: thread.lastReadSeq
		});
		messages.push({
			message,
			thread: toThreadJson(thread),
			highlights: toHighlights(hit.headline, row.body)
		});
	}
	const last = page.at(-1);
	return {
		threads: namedThreads.flatMap((id) => {
			const thread = threads.get(id);
			return thread ? [toThreadJson(thread)] : [];
		}),
		messages,
		nextCursor:
			hits.length > options.limit && last
				? encodeCursor(
						{ rank: ranked ? last.rank : undefined, at: last.cursor_at, id: last.id },
						key
					)
				: null
	};
}
