// Builds a benchmark data set straight in Postgres with set-based SQL: a million messages are a
// handful of INSERT ... SELECT statements, not a million round trips. Everything is planned in
// temporary tables first (who is in which thread, every message's seq, each reader's watermark),
// then every real table is written once, already in its final, consistent state.

import { hashPassword } from '../src/lib/server/auth';
import type postgres from 'postgres';

export interface DatasetShape {
	users: number;
	contracts: number;
	messages: number;
	/** Contracts (so threads) of the one busy provider; the rest go to ordinary providers. */
	busyThreads: number;
}

export interface Dataset {
	shape: DatasetShape;
	busyProviderId: string;
	/** The busy provider's contracts, oldest first; the first one holds the long thread. */
	busyContracts: { contractId: string; requesterId: string }[];
	hotContractId: string;
	/**
	 * The busy provider's last contract is still `requested`: sends there run the contact
	 * masking (CONTACT_MASKING=until-accepted), the send-masked row; the others are active.
	 */
	requestedContractId: string;
	hotThreadMessages: number;
	busyUnreadThreads: number;
	busyUnreadMessages: number;
	/**
	 * How many of the busy provider's messages each search row matches (SEARCH_MATCHES); null on
	 * a schema without the words column. A search that matches nothing returns an empty page.
	 */
	searchMatches: Record<keyof typeof SEARCH_WORDS, number> | null;
	receipts: number;
	steps: { step: string; ms: number }[];
}

// The shape of the data, the same at every size.
const PROVIDER_SHARE = 0.1; // users 1..P offer things; the others rent
const SYSTEM_SHARE = 0.03; // status lines ("… accepted the rental"), sender null
const HOT_SHARE = 0.01; // of all messages go to the busy provider's first thread: one long thread
const UNREAD_SHARE = 0.25; // readers left behind the end of a thread …
const MAX_UNREAD = 3; // … by 1 to 3 messages (fewer when their own message comes last)
const HISTORY_DAYS = 180;
// Words for the search rows, by message number: a common word in 10% of the people's messages,
// a two-word phrase in 0.1% (its words also apart, "door" in 2%), a rare word in 0.005%; and
// "the", in almost every message (the text below), most of them twice or more.
export const SEARCH_WORDS = {
	everywhere: 'the',
	common: 'invoice',
	phrase: 'door code',
	prefix: 'door co',
	rare: 'zanzibar'
} as const;
/** What each search row asks for, as the tsquery the search filters its matches with. */
const SEARCH_MATCHES: Record<keyof typeof SEARCH_WORDS, string> = {
	everywhere: `'the'`,
	common: `'invoice'`,
	phrase: `'door' <-> 'code'`,
	prefix: `'door' & 'co':*`,
	rare: `'zanzibar'`
};

const LOREM =
	'Hello! Is the drill still available next weekend? I could pick it up on Friday evening and ' +
	'bring it back on Monday morning. Does it come with the case and the spare bits, or should I ' +
	'bring my own? Thanks a lot, and let me know if anything about the deposit changes.';

/** The small set: the same shape scaled to `messages` in total (100 users, 500 contracts at 10k). */
export function scaledShape(large: DatasetShape, messages: number): DatasetShape {
	const f = messages / large.messages;
	const contracts = Math.max(10, Math.round(large.contracts * f));
	return {
		users: Math.max(20, Math.round(large.users * f)),
		contracts,
		messages,
		busyThreads: Math.min(contracts, Math.max(1, Math.round(large.busyThreads * f)))
	};
}

export function validateShape(shape: DatasetShape): void {
	for (const [key, value] of Object.entries(shape)) {
		if (!Number.isSafeInteger(value) || value < 1)
			throw new Error(`${key} must be a positive integer`);
	}
	if (shape.users < 20) throw new Error('users: at least 20');
	if (shape.busyThreads > shape.contracts) throw new Error('busy threads cannot exceed contracts');
	// Every thread starts with one message, as in the app (a thread is created by its first post).
	if (shape.messages < shape.contracts) throw new Error('messages must be at least contracts');
}

async function timed<T>(
	steps: Dataset['steps'],
	log: (line: string) => void,
	step: string,
	fn: () => Promise<T>
): Promise<T> {
	const started = performance.now();
	const result = await fn();
	const ms = performance.now() - started;
	steps.push({ step, ms });
	log(`    ${step}: ${(ms / 1000).toFixed(1)} s`);
	return result;
}

/**
 * Fills a freshly migrated database. `sql` must be a single connection (max: 1): the temporary
 * tables and session settings live on it.
 */
export async function buildDataset(
	sql: postgres.Sql,
	shape: DatasetShape,
	log: (line: string) => void
): Promise<Dataset> {
	validateShape(shape);
	const steps: Dataset['steps'] = [];
	const step = <T>(name: string, fn: () => Promise<T>) => timed(steps, log, name, fn);
	const { users: U, contracts: C, messages: M, busyThreads: B } = shape;
	const P = Math.max(2, Math.min(U - 1, Math.round(U * PROVIDER_SHARE)));

	// Bulk-load settings for this session only. Foreign keys are not checked row by row
	// (session_replication_role = replica skips their triggers): every id below comes from a join
	// with the rows it points to, and checkInvariants() looks at the result afterwards.
	await sql.unsafe(`
		set synchronous_commit = off;
		set work_mem = '256MB';
		set maintenance_work_mem = '512MB';
		set temp_buffers = '512MB';
		set session_replication_role = replica;
		select setseed(0.42);`);

	// One argon2 hash for everyone: hashing is deliberately slow and no login happens here.
	const passwordHash = await hashPassword('bench-password');

	await step('plan users, offerings, contracts', async () => {
		await sql`create temp table bench_users (n int primary key, id uuid not null)`;
		await sql`insert into bench_users select n, gen_random_uuid() from generate_series(1, ${U}::int) n`;
		await sql`create temp table bench_offerings (provider_n int primary key, id uuid not null)`;
		await sql`insert into bench_offerings select n, gen_random_uuid() from generate_series(1, ${P}::int) n`;
		// User 1 is the busy provider and owns contracts 1..B; the others go to providers 2..P.
		// Requesters are users P+1..U, so requester <> provider always holds.
		await sql`create temp table bench_contracts (
			n int primary key, id uuid not null, thread_id uuid not null, offering_id uuid not null,
			requester_id uuid not null, provider_id uuid not null)`;
		await sql`
			insert into bench_contracts
			select c.n, gen_random_uuid(), gen_random_uuid(), o.id, r.id, p.id
			from (
				select n,
					case when n <= ${B}::int then 1 else 2 + floor(random() * (${P}::int - 1))::int end as provider_n,
					${P}::int + 1 + floor(random() * (${U}::int - ${P}::int))::int as requester_n
				from generate_series(1, ${C}::int) n
			) c
			join bench_users p on p.n = c.provider_n
			join bench_users r on r.n = c.requester_n
			join bench_offerings o on o.provider_n = c.provider_n`;
	});

	await step('plan messages and read state', async () => {
		// Message i is written at start + i * step, so created_at grows with i and, within a
		// thread, with seq (row_number over i). Thread n gets message n, so none is empty; then
		// HOT_SHARE of the rest go to thread 1 and the others to a uniformly random thread.
		// kind: 0 system, 1 requester, 2 provider.
		await sql`create temp table bench_messages (
			i int not null, id uuid not null, thread_n int not null, seq int not null,
			kind smallint not null, created_at timestamptz not null)`;
		await sql`
			insert into bench_messages
			select i, gen_random_uuid(), thread_n,
				row_number() over (partition by thread_n order by i)::int,
				kind,
				now() - make_interval(days => ${HISTORY_DAYS}::int)
					+ (i::float8 / ${M}::int) * (make_interval(days => ${HISTORY_DAYS}::int) - interval '1 hour')
			from (
				select i,
					case
						when i <= ${C}::int then i
						when random() < ${HOT_SHARE}::float8 then 1
						else 1 + floor(random() * ${C}::int)::int
					end as thread_n,
					case when random() < ${SYSTEM_SHARE}::float8 then 0 when random() < 0.5 then 1 else 2 end as kind
				from generate_series(1, ${M}::int) i
			) r`;
		await sql`create unique index on bench_messages (thread_n, seq)`;
		await sql`analyze bench_messages`;

		await sql`create temp table bench_threads (n int primary key, last_seq int not null)`;
		await sql`insert into bench_threads select thread_n, max(seq) from bench_messages group by thread_n`;

		// Each reader's watermark. Sending marks everything up to one's own message read (as
		// parley_append_message does), so the watermark is never below the reader's last own message;
		// UNREAD_SHARE of the readers stop 1..MAX_UNREAD messages before the end.
		await sql`create temp table bench_participants (
			thread_n int not null, kind smallint not null, last_read_seq int not null,
			primary key (thread_n, kind))`;
		await sql`
			insert into bench_participants
			select t.n, k.kind, greatest(
				coalesce(own.last_own_seq, 0),
				case when random() < ${UNREAD_SHARE}::float8
					then greatest(0, t.last_seq - 1 - floor(random() * ${MAX_UNREAD}::int)::int)
					else t.last_seq end)
			from bench_threads t
			cross join (values (1::smallint), (2::smallint)) k(kind)
			left join (
				select thread_n, kind, max(seq) as last_own_seq
				from bench_messages where kind > 0 group by thread_n, kind
			) own on own.thread_n = t.n and own.kind = k.kind`;
	});

	await step('insert users, offerings, contracts', async () => {
		await sql`
			insert into users (id, email, display_name, password_hash, created_at)
			select id, 'bench-' || n || '@parley.test', 'Bench User ' || n, ${passwordHash},
				now() - interval '400 days'
			from bench_users order by n`;
		await sql`
			insert into offerings (id, provider_id, name, description, monthly_price_cents, created_at, updated_at)
			select o.id, u.id, 'Bench offering ' || o.provider_n, 'An offering made by npm run bench.',
				1000 + (o.provider_n % 90) * 100, now() - interval '300 days', now() - interval '300 days'
			from bench_offerings o join bench_users u on u.n = o.provider_n order by o.provider_n`;
		await sql`
			insert into contracts (id, offering_id, requester_id, provider_id, title, monthly_price_cents,
				status, created_at, updated_at)
			select id, offering_id, requester_id, provider_id, 'Bench rental ' || n, 1000 + (n % 90) * 100,
				case when n = ${B}::int then 'requested' else 'active' end,
				now() - interval '200 days' + n * interval '1 second',
				now() - interval '200 days' + n * interval '1 second'
			from bench_contracts order by n`;
	});

	await step('insert threads and participants', async () => {
		await sql`
			insert into message_threads (id, contract_id, subject, status, created_at, last_message_at,
				last_seq, message_count, last_message_id)
			select c.thread_id, c.id, 'Bench rental ' || c.n, 'open', fm.created_at, lm.created_at,
				t.last_seq, t.last_seq, lm.id
			from bench_threads t
			join bench_contracts c on c.n = t.n
			join bench_messages fm on fm.thread_n = t.n and fm.seq = 1
			join bench_messages lm on lm.thread_n = t.n and lm.seq = t.last_seq
			order by t.n`;
		await sql`
			insert into message_thread_participants (thread_id, user_id, role, joined_at, last_read_seq,
				last_read_message_id, unread_count, last_message_at)
			select c.thread_id,
				case p.kind when 1 then c.requester_id else c.provider_id end,
				case p.kind when 1 then 'requester' else 'provider' end,
				fm.created_at, p.last_read_seq, rm.id, t.last_seq - p.last_read_seq, lm.created_at
			from bench_participants p
			join bench_threads t on t.n = p.thread_n
			join bench_contracts c on c.n = p.thread_n
			join bench_messages fm on fm.thread_n = p.thread_n and fm.seq = 1
			join bench_messages lm on lm.thread_n = p.thread_n and lm.seq = t.last_seq
			left join bench_messages rm on rm.thread_n = p.thread_n and rm.seq = p.last_read_seq
			order by p.thread_n, p.kind`;
	});

	// The trigger that stamps a message with its contract's parties does not fire in replica
	// mode; a --baseline commit from before search has no such column.
	const [searchable] = await sql<{ yes: boolean }[]>`
		select exists (select 1 from information_schema.columns where table_schema = current_schema()
			and table_name = 'messages' and column_name = 'party_ids') as yes`;
	// A bulk load builds GIN indexes once afterwards instead of growing them row by row (the
	// messages' word index took four minutes of the load at 1M messages).
	const ginIndexes = await sql<{ name: string; definition: string }[]>`
		select indexname as name, indexdef as definition from pg_indexes
		where schemaname = current_schema() and tablename = 'messages' and indexdef ilike '% using gin %'`;
	for (const { name } of ginIndexes) await sql.unsafe(`drop index "${name}"`);
	await step(`insert ${M.toLocaleString('en')} messages`, async () => {
		// In the order they were written, so a thread's messages are spread over the table as
		// they would be in production (not clustered by thread, which would flatter reads).
		await sql`
			insert into messages (id, thread_id, seq, sender_id, sender_role, body, created_at
				${searchable?.yes ? sql`, party_ids` : sql``})
			select m.id, c.thread_id, m.seq,
				case m.kind when 0 then null when 1 then c.requester_id else c.provider_id end,
				case m.kind when 0 then 'system' else 'user' end,
				case m.kind
					when 0 then 'Bench User ' || m.i % 97 || ' updated the rental.'
					else 'Message ' || m.i || ': ' || left(${LOREM}, 20 + ((m.i::bigint * 7919) % 220)::int)
						|| case when m.i % 10 = 3 then ' Please check the invoice.' else '' end
						|| case when m.i % 1000 = 7 then ' The door code is ' || (1000 + m.i % 9000) || '.' else '' end
						|| case when m.i % 50 = 11 then ' Use the back door.' else '' end
						|| case when m.i % 20000 = 17 then ' We met in Zanzibar.' else '' end
				end,
				m.created_at
				${searchable?.yes ? sql`, array[c.requester_id, c.provider_id]` : sql``}
			from bench_messages m join bench_contracts c on c.n = m.thread_n
			order by m.i`;
	});

	if (ginIndexes.length > 0) {
		await step('index the messages’ words', async () => {
			for (const { definition } of ginIndexes) await sql.unsafe(definition);
		});
	}

	const receipts = await step('insert read receipts', async () => {
		// A reader has a receipt for exactly the messages up to their watermark.
		const result = await sql`
			insert into message_read_receipts (message_id, reader_id, read_at)
			select m.id, case p.kind when 1 then c.requester_id else c.provider_id end,
				m.created_at + interval '1 minute'
			from bench_participants p
			join bench_contracts c on c.n = p.thread_n
			join bench_messages m on m.thread_n = p.thread_n and m.seq <= p.last_read_seq
			order by m.i`;
		return result.count;
	});

	await sql`set session_replication_role = origin`;

	// As after a night of autovacuum: statistics, visibility map and hint bits are in place, and
	// a checkpoint now keeps the load's WAL from being flushed during the measurements.
	await step('vacuum analyze, checkpoint', async () => {
		for (const table of [
			'users',
			'offerings',
			'contracts',
			'message_threads',
			'message_thread_participants',
			'messages',
			'message_read_receipts',
			'sessions'
		]) {
			await sql.unsafe(`vacuum (analyze) ${table}`);
		}
		await sql`checkpoint`;
	});

	const [busy] = await sql<{ id: string }[]>`select id from bench_users where n = 1`;
	const busyContracts = await sql<{ contractId: string; requesterId: string }[]>`
		select id as "contractId", requester_id as "requesterId"
		from bench_contracts where n <= ${B}::int order by n`;
	const [hot] = await sql<{ n: number }[]>`select last_seq as n from bench_threads where n = 1`;
	const [unread] = await sql<{ threads: number; messages: number }[]>`
		select count(*)::int as threads, coalesce(sum(unread_count), 0)::int as messages
		from message_thread_participants where user_id = ${busy!.id} and unread_count > 0`;
	// One pass over the table: no index serves "all of one person's messages" any more.
	const [matches] = searchable?.yes
		? await sql<Record<keyof typeof SEARCH_WORDS, number>[]>`
			select ${sql.unsafe(
				Object.entries(SEARCH_MATCHES)
					.map(
						([key, query]) =>
							`count(*) filter (where search @@ $$${query}$$::tsquery)::int as ${key}`
					)
					.join(', ')
			)}
			from messages
			where party_ids @> array[${busy!.id}::uuid] and sender_role <> 'system'`
		: [null];
	await sql`drop table bench_messages, bench_participants, bench_threads, bench_contracts, bench_offerings, bench_users`;

	return {
		shape,
		busyProviderId: busy!.id,
		busyContracts,
		hotContractId: busyContracts[0]!.contractId,
		requestedContractId: busyContracts.at(-1)!.contractId,
		hotThreadMessages: hot!.n,
		busyUnreadThreads: unread!.threads,
		busyUnreadMessages: unread!.messages,
		searchMatches: matches ?? null,
		receipts,
		steps
	};
}

/**
 * Checks the messaging invariants on the given threads and returns a list of violations (empty
 * when all hold): gapless seq 1..N with the thread's aggregates matching its newest message,
 * exactly the contract's two parties as participants, and per participant a receipt for every
 * message up to last_read_seq, for every own message, and unread_count = messages without one.
 * A deleted message (where the schema has them) is neither read nor unread: it has no receipts
 * and does not count.
 */
export async function checkInvariants(
	sql: postgres.Sql,
	threadIds: string[]
): Promise<{ violations: string[] }> {
	// The same check serves a --baseline commit from before messages could be deleted.
	const [deletable] = await sql<{ yes: boolean }[]>`
		select exists (select 1 from information_schema.columns where table_schema = current_schema()
			and table_name = 'messages' and column_name = 'deleted_at') as yes`;
	const counted = deletable?.yes ? sql`and m.deleted_at is null` : sql``;
	const [row] = await sql<Record<string, number>[]>`
		with s as (select unnest(${threadIds}::uuid[]) as id),
		agg as (
			select m.thread_id, count(*) as n, min(m.seq) as min_seq, max(m.seq) as max_seq
			from messages m join s on s.id = m.thread_id group by m.thread_id
		)
		select
			(select count(*)::int from message_threads t join s on s.id = t.id
				left join agg on agg.thread_id = t.id
				left join messages lm on lm.thread_id = t.id and lm.seq = t.last_seq
				where coalesce(agg.n, 0) <> t.last_seq or t.message_count <> t.last_seq
					or coalesce(agg.min_seq, 1) <> 1 or coalesce(agg.max_seq, 0) <> t.last_seq
					or t.last_message_id is distinct from lm.id
					or t.last_message_at <> lm.created_at
			) as "threads whose seq or aggregates are wrong",
			(select count(*)::int from message_threads t join s on s.id = t.id
				join contracts c on c.id = t.contract_id
				where (select count(*) from message_thread_participants p where p.thread_id = t.id) <> 2
					or not exists (select 1 from message_thread_participants p where p.thread_id = t.id
						and p.user_id = c.requester_id and p.role = 'requester')
					or not exists (select 1 from message_thread_participants p where p.thread_id = t.id
						and p.user_id = c.provider_id and p.role = 'provider')
			) as "threads whose participants are not the contract's parties",
			(select count(*)::int from message_thread_participants p join s on s.id = p.thread_id
				join message_threads t on t.id = p.thread_id
				cross join lateral (
					select
						count(*) filter (where m.seq <= p.last_read_seq and r.message_id is null) as missing_upto,
						count(*) filter (where m.sender_id = p.user_id and r.message_id is null) as missing_own,
						count(*) filter (where r.message_id is null) as without_receipt
					from messages m
					left join message_read_receipts r on r.message_id = m.id and r.reader_id = p.user_id
					where m.thread_id = p.thread_id ${counted}
				) x
				left join messages rm on rm.thread_id = p.thread_id and rm.seq = p.last_read_seq
				where p.last_message_at <> t.last_message_at or p.last_read_seq > t.last_seq
					or x.missing_upto > 0 or x.missing_own > 0 or p.unread_count <> x.without_receipt
					or p.last_read_message_id is distinct from rm.id
			) as "participants whose read state is wrong",
			(select count(*)::int from messages m join s on s.id = m.thread_id
				where (m.sender_role = 'system') <> (m.sender_id is null)
			) as "messages whose sender does not match their role"`;
	const counts = row ?? {};
	return {
		violations: Object.entries(counts)
			.filter(([, n]) => n > 0)
			.map(([what, n]) => `${n} ${what}`)
	};
}
