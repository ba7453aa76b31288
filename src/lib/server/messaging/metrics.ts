import { sql } from 'drizzle-orm';
import type { ResponseMetrics } from '$lib/schemas/messaging';
import { rowsOf, type Db } from '../db';

/**
 * How provider P answers, over the last `days` days, computed in SQL from message metadata only.
 * A thread counts when the requester wrote in the window; it is responded when P wrote after the
 * requester's first message in the window, and its response time runs to P's first such message.
 * System and assistant messages never count, on either side. Order is by sequence number, so two
 * messages in the same microsecond still compare correctly.
 */
export async function getProviderResponseMetrics(
	db: Db,
	providerId: string,
	days: number
): Promise<ResponseMetrics> {
	const result = await db.execute(sql`
		with firsts as (
			select t.id as thread_id, first_msg.seq, first_msg.created_at
			from contracts c
			join message_threads t on t.contract_id = c.id
			cross join lateral (
				select m.seq, m.created_at
				from messages m
				where m.thread_id = t.id
					and m.sender_id = c.requester_id
					and m.sender_role = 'user'
					and m.created_at >= now() - make_interval(days => ${days})
				order by m.seq
				limit 1
			) first_msg
			where c.provider_id = ${providerId}
		),
		responses as (
			select f.thread_id,
				extract(epoch from (
					select r.created_at
					from messages r
					where r.thread_id = f.thread_id
						and r.sender_id = ${providerId}
						and r.sender_role = 'user'
						and r.seq > f.seq
					order by r.seq
					limit 1
				) - f.created_at) / 3600.0 as hours
			from firsts f
		)
		select
			count(*)::int as total,
			count(hours)::int as responded,
			avg(hours)::float8 as avg_hours,
			(percentile_cont(0.5) within group (order by hours))::float8 as median_hours,
			count(*) filter (where hours <= 24)::int as within_24h
		from responses
	`);
	const [row] = rowsOf<{
		total: number;
		responded: number;
		avg_hours: number | null;
		median_hours: number | null;
		within_24h: number;
	}>(result);
	const total = row?.total ?? 0;
	const responded = row?.responded ?? 0;
	const pct = (n: number) => (total === 0 ? 0 : round((n / total) * 100, 1));
	return {
		providerId,
		days,
		avgResponseTimeHours: responded && row?.avg_hours != null ? round(row.avg_hours, 2) : null,
		medianResponseTimeHours:
			responded && row?.median_hours != null ? round(row.median_hours, 2) : null,
		responseRatePct: pct(responded),
		respondedWithin24hPct: pct(row?.within_24h ?? 0),
		totalThreads: total,
		respondedThreads: responded
	};
}

function round(value: number, digits: number): number {
	const f = 10 ** digits;
	return Math.round(Number(value) * f) / f;
}
