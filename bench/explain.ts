// Query plans of what the endpoints run. Each domain function is called once through a Drizzle
// handle whose logger records every statement with its parameters, inside a transaction that is
// rolled back; the statements are then replayed in order under EXPLAIN (ANALYZE, BUFFERS) in
// another rolled-back transaction, so the data set is left as it was. Every statement first runs
// twice in a rolled-back savepoint, to warm the session's caches as on a long-lived pool
// connection. Each one is then shown twice:
// - its custom plan, for the captured values, with planning and execution times: what each call
//   costs when statements are not prepared (DATABASE_PREPARE=false), and what a prepared
//   statement costs on its first executions;
// - its generic plan (PREPARE under plan_cache_mode = force_generic_plan), which a prepared
//   statement switches to after five executions when Postgres estimates it no costlier. The
//   summary says where the two differ in shape.
// Each statement is also prepared and executed as the app's pool does, PLAN_CACHE_CALLS times,
// and pg_prepared_statements says whether Postgres ever took the generic plan: a statement that
// it plans again at every call pays its planning time on every request, which EXPLAIN's
// execution time does not show.

import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import type { Db } from '../src/lib/server/db';
import * as schema from '../src/lib/server/db/schema';

interface Statement {
	query: string;
	params: unknown[];
}

export interface ExplainedStatement extends Statement {
	/** The plan for the captured values (a custom plan), with its planning time. */
	plan: string;
	/** The generic plan (without the values) that a prepared statement may switch to. */
	genericPlan: string | null;
	/** Whether the generic plan walks other nodes or indexes than the custom one. */
	genericDiffers: boolean;
	/**
	 * Whether a prepared statement was planned again at every one of PLAN_CACHE_CALLS executions
	 * (Postgres never took the generic plan); null when that could not be measured.
	 */
	plannedEveryCall: boolean | null;
	planningMs: number | null;
	executionMs: number | null;
	/**
	 * Sequential scans of tables that grow with the data, as "Seq Scan on messages (rows=…)", and
	 * parallel scans of any table ("Parallel Bitmap Heap Scan on messages").
	 */
	scans: string[];
	/**
	 * For a call of one of the app's PL/pgSQL functions (drizzle/0004): the plan of every
	 * statement the function ran, from auto_explain, since EXPLAIN shows only "Function Scan".
	 */
	nested: string[];
}

export interface ExplainedOperation {
	name: string;
	statements: ExplainedStatement[];
}

class Rollback extends Error {}

type PlanRow = { 'QUERY PLAN': string };

const LARGE_TABLES = [
	'users',
	'sessions',
	'contracts',
	'message_threads',
	'message_thread_participants',
	'messages',
	'message_read_receipts',
	'message_notifications'
];

async function capture(url: string, op: (db: Db) => Promise<unknown>): Promise<Statement[]> {
	const statements: Statement[] = [];
	const client = postgres(url, { max: 1, onnotice: () => {} });
	const db = drizzle({
		client,
		schema,
		logger: { logQuery: (query, params) => statements.push({ query, params }) }
	}) as unknown as Db;
	try {
		await db.transaction(async (tx) => {
			await op(tx);
			throw new Rollback();
		});
	} catch (error) {
		if (!(error instanceof Rollback)) throw error;
	} finally {
		await client.end();
	}
	return statements;
}

const planText = (rows: PlanRow[]) => rows.map((r) => r['QUERY PLAN']).join('\n');
const timing = (plan: string, label: string) => {
	const match = new RegExp(`${label} Time: ([\\d.]+) ms`).exec(plan);
	return match ? Number(match[1]) : null;
};

function literal(value: unknown): string {
	if (value === null || value === undefined) return 'NULL';
	if (typeof value === 'number' || typeof value === 'bigint') return String(value);
	if (typeof value === 'boolean') return String(value);
	const text = value instanceof Date ? value.toISOString() : String(value);
	return `'${text.replace(/'/g, "''")}'`;
}

/** The plan's nodes with their tables and indexes, without costs, timings or conditions. */
export function planShape(plan: string): string {
	const nodes: string[] = [];
	for (const line of plan.split('\n')) {
		const match =
			/^\s*(?:->\s*)?([A-Z][A-Za-z ]*?)(?: using (\S+))?(?: on (\S+))?(?: \w+)?\s+\(cost=/.exec(
				line
			);
		if (match) nodes.push([match[1], match[2], match[3]].filter(Boolean).join(' '));
	}
	return nodes.join(' > ');
}

let statementNo = 0;

/** Runs `fn` in a savepoint that is always rolled back, and returns what it returned. */
async function inRolledBackSavepoint<T>(
	tx: postgres.TransactionSql,
	fn: (sp: postgres.TransactionSql) => Promise<T>
): Promise<T> {
	let result: T | undefined;
	await tx
		.savepoint(async (sp) => {
			result = await fn(sp);
			throw new Rollback();
		})
		.catch((error) => {
			if (!(error instanceof Rollback)) throw error;
		});
	return result as T;
}

const CALLS_APP_FUNCTION = /\bparley_\w+\(/;
const SETTING = /^\s*set\s+local\s/i;
// The queries Postgres runs for each foreign-key check: one per row, and all alike.
const FOREIGN_KEY_CHECK = /Query Text: SELECT 1 FROM ONLY /;

/**
 * auto_explain for the rest of this (sub)transaction: the plan of each statement run inside a
 * function, sent back as a NOTICE (the client's onnotice collects them). Needs a superuser, as
 * the loader does.
 */
async function explainNested(sp: postgres.TransactionSql) {
	await sp.unsafe(`load 'auto_explain'`);
	for (const setting of [
		'auto_explain.log_min_duration = 0',
		'auto_explain.log_analyze = on',
		'auto_explain.log_buffers = on',
		'auto_explain.log_timing = on',
		'auto_explain.log_nested_statements = on',
		'auto_explain.log_level = notice'
	]) {
		await sp.unsafe(`set local ${setting}`);
	}
}

/** Past the five custom plans that Postgres makes before it weighs the generic one. */
const PLAN_CACHE_CALLS = 8;

/**
 * Whether Postgres plans the statement again at every execution when it is prepared: executed
 * PLAN_CACHE_CALLS times (each in a rolled-back savepoint), it never took the generic plan.
 */
async function plannedAtEveryCall(
	tx: postgres.TransactionSql,
	statement: Statement,
	args: string
): Promise<boolean | null> {
	const name = `bench_stmt_${++statementNo}`;
	return inRolledBackSavepoint(tx, async (sp) => {
		await sp.unsafe(`prepare ${name} as ${statement.query}`);
		for (let call = 0; call < PLAN_CACHE_CALLS; call++) {
			await inRolledBackSavepoint(sp, (inner) => inner.unsafe(`execute ${name}${args}`));
		}
		const [row] = await sp.unsafe<{ generic_plans: string; custom_plans: string }[]>(
			'select generic_plans, custom_plans from pg_prepared_statements where name = $1',
			[name]
		);
		await sp.unsafe(`deallocate ${name}`);
		return row ? Number(row.generic_plans) === 0 : null;
	}).catch(() => null);
}

async function explainStatement(
	tx: postgres.TransactionSql,
	statement: Statement,
	notices: string[]
): Promise<ExplainedStatement> {
	const params = statement.params as postgres.ParameterOrJSON<never>[];
	const explain = (options: string) => `explain (${options}) ${statement.query}`;
	let plan: string;
	let genericPlan: string | null = null;
	let plannedEveryCall: boolean | null = null;
	let nested: string[] = [];
	try {
		for (let warm = 0; warm < 2; warm++) {
			await inRolledBackSavepoint(tx, (sp) => sp.unsafe(explain('analyze, buffers'), params));
		}
		// The plan a prepared statement may settle on: planned once without the values.
		// PREPARE outlives a rollback, hence a fresh name and an explicit DEALLOCATE.
		const name = `bench_stmt_${++statementNo}`;
		const args = params.length ? `(${statement.params.map(literal).join(', ')})` : '';
		genericPlan = await inRolledBackSavepoint(tx, async (sp) => {
			await sp.unsafe('set local plan_cache_mode = force_generic_plan');
			await sp.unsafe(`prepare ${name} as ${statement.query}`);
			const rows = await sp.unsafe<PlanRow[]>(`explain (analyze, buffers) execute ${name}${args}`);
			await sp.unsafe(`deallocate ${name}`);
			return planText(rows);
		}).catch((error: Error) => `(not available: ${error.message})`);
		plannedEveryCall = await plannedAtEveryCall(tx, statement, args);
		// Last, the one execution that stays, so later statements see its effects.
		plan = planText(
			await tx.savepoint(async (sp) => {
				if (CALLS_APP_FUNCTION.test(statement.query)) await explainNested(sp);
				notices.length = 0;
				const rows = await sp.unsafe<PlanRow[]>(explain('analyze, buffers'), params);
				nested = notices.filter(
					(text) => !text.includes(statement.query.trim()) && !FOREIGN_KEY_CHECK.test(text)
				);
				return rows;
			})
		);
	} catch (error) {
		// E.g. a row id that the captured run generated and this replay did not: the plan alone.
		const rows = await tx
			.savepoint((sp) => sp.unsafe<PlanRow[]>(explain('costs'), params))
			.catch((): PlanRow[] => []);
		plan = `(not executed: ${(error as Error).message})\n${planText(rows)}`;
	}
	const scans = new Set<string>();
	for (const text of [plan, genericPlan ?? '']) {
		for (const match of text.matchAll(/Seq Scan on (\w+)[^\n]*?rows=(\d+)[^\n]*?loops/g)) {
			if (LARGE_TABLES.includes(match[1]!)) scans.add(`Seq Scan on ${match[1]} (rows=${match[2]})`);
		}
		// A Gather starts workers (milliseconds) for what should be a short indexed read.
		for (const match of text.matchAll(/Parallel [\w ]+? on (\w+)/g)) scans.add(match[0]);
	}
	const genericDiffers =
		genericPlan !== null &&
		planShape(genericPlan) !== '' &&
		planShape(genericPlan) !== planShape(plan);
	return {
		...statement,
		plan,
		genericPlan,
		genericDiffers,
		plannedEveryCall,
		planningMs: timing(plan, 'Planning'),
		executionMs: timing(plan, 'Execution'),
		scans: [...scans],
		nested
	};
}

export async function explainOperations(
	url: string,
	operations: { name: string; run: (db: Db) => Promise<unknown> }[]
): Promise<ExplainedOperation[]> {
	const explained: ExplainedOperation[] = [];
	for (const operation of operations) {
		const statements = await capture(url, operation.run);
		const notices: string[] = [];
		const client = postgres(url, {
			max: 1,
			onnotice: (notice) => notices.push(String(notice.message)),
			// As the app's connections run (DATABASE_JIT=off).
			connection: { jit: 'off' }
		});
		const results: ExplainedStatement[] = [];
		try {
			await client.begin(async (tx) => {
				for (const statement of statements) {
					// A setting the operation makes for its next statements (search's work_mem for a
					// prefix) is made here too, not explained: they are replayed under it, as they ran.
					if (SETTING.test(statement.query)) await tx.unsafe(statement.query);
					else results.push(await explainStatement(tx, statement, notices));
				}
				throw new Rollback();
			});
		} catch (error) {
			if (!(error instanceof Rollback)) throw error;
		} finally {
			await client.end();
		}
		explained.push({ name: operation.name, statements: results });
	}
	return explained;
}

const sum = (values: (number | null)[]) => values.reduce<number>((a, b) => a + (b ?? 0), 0);

/**
 * Per operation: statements, Postgres' planning and execution time summed over them (custom
 * plans), and the numbers (from 1) of the statements whose generic plan has another shape.
 */
export function planTotals(op: ExplainedOperation) {
	return {
		statements: op.statements.length,
		planningMs: sum(op.statements.map((s) => s.planningMs)),
		executionMs: sum(op.statements.map((s) => s.executionMs)),
		genericDiffers: op.statements.flatMap((s, i) => (s.genericDiffers ? [i + 1] : [])),
		plannedEveryCall: op.statements.flatMap((s, i) => (s.plannedEveryCall ? [i + 1] : []))
	};
}

export function plansMarkdown(title: string, operations: ExplainedOperation[]): string {
	const out = [`# ${title}`, ''];
	out.push(
		'Every statement of each operation, replayed under `EXPLAIN (ANALYZE, BUFFERS)` in a',
		'rolled-back transaction after two warm-up executions: the custom plan (for these values,',
		'planned at each call when statements are not prepared) and the generic plan (what a prepared',
		'statement may switch to after five executions), and which statements a prepared statement',
		`still planned again at the last of ${PLAN_CACHE_CALLS} executions. Written by \`npm run bench\`.`,
		'',
		'| Operation | Statements | Planning (ms) | Execution (ms) | Generic plan differs | Planned at every call |',
		'| --- | ---: | ---: | ---: | --- | --- |'
	);
	const numbers = (list: number[]) => (list.length ? list.map((n) => `#${n}`).join(', ') : 'no');
	for (const op of operations) {
		const t = planTotals(op);
		out.push(
			`| ${op.name} | ${t.statements} | ${t.planningMs.toFixed(2)} | ${t.executionMs.toFixed(2)} | ` +
				`${numbers(t.genericDiffers)} | ${numbers(t.plannedEveryCall)} |`
		);
	}
	out.push('');
	for (const operation of operations) {
		out.push(`## ${operation.name}`, '');
		operation.statements.forEach((statement, index) => {
			const head = statement.query.replace(/\s+/g, ' ').trim().slice(0, 80);
			out.push(
				`### ${index + 1}. ${head}…`,
				'',
				`Planning ${statement.planningMs ?? '–'} ms, execution ${statement.executionMs ?? '–'} ms.` +
					(statement.genericDiffers ? ' The generic plan differs.' : '') +
					(statement.plannedEveryCall ? ' Planned again at every call when prepared.' : ''),
				'',
				'```sql',
				statement.query.trim(),
				'```',
				'',
				`Parameters: \`${JSON.stringify(statement.params)}\``,
				'',
				'Custom plan:',
				'',
				'```',
				statement.plan,
				'```',
				''
			);
			if (statement.genericPlan) {
				out.push('Generic plan:', '', '```', statement.genericPlan, '```', '');
			}
			if (statement.nested.length) {
				out.push(
					`Inside the function, ${statement.nested.length} statements (auto_explain, in the order they ran; foreign-key checks left out):`,
					''
				);
				for (const text of statement.nested) out.push('```', text.trim(), '```', '');
			}
		});
	}
	return out.join('\n');
}
