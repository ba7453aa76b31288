// Where the CPU went during a run, from /proc (Linux; elsewhere every figure is NaN): the whole
// machine, the app server, every Postgres process, and this process (the load generator or the
// direct workers). On a shared 2-core machine "other" shows how much the neighbours took.

import { readdirSync, readFileSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on every Linux this runs on

interface Snapshot {
	at: number;
	machineBusy: number;
	machineTotal: number;
	server: number;
	postgres: Map<number, number> | null;
	self: number;
}

export interface CpuShare {
	/** Cores' worth of CPU in use on average (2 = both cores busy). */
	machine: number;
	server: number;
	postgres: number;
	self: number;
	other: number;
}

function processTicks(pid: number): number {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		// Fields after the parenthesised command name; utime and stime are fields 14 and 15.
		const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
		return Number(fields[11]) + Number(fields[12]);
	} catch {
		return Number.NaN;
	}
}

/** Ticks of every Postgres process, by pid; null where /proc cannot be read. */
function postgresTicks(): Map<number, number> | null {
	const ticks = new Map<number, number>();
	try {
		for (const entry of readdirSync('/proc')) {
			if (!/^\d+$/.test(entry)) continue;
			try {
				if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'postgres') continue;
			} catch {
				continue; // exited meanwhile
			}
			const n = processTicks(Number(entry));
			if (!Number.isNaN(n)) ticks.set(Number(entry), n);
		}
	} catch {
		return null;
	}
	return ticks;
}

/**
 * Postgres' ticks between two snapshots, process by process: a backend that exits meanwhile
 * (another client's connection closing) takes its whole history with it, which in a plain
 * difference of sums would come out as negative Postgres time and phantom "other" cores.
 */
function postgresDelta(before: Map<number, number> | null, after: Map<number, number> | null) {
	if (!before || !after) return Number.NaN;
	let delta = 0;
	for (const [pid, n] of after) delta += Math.max(0, n - (before.get(pid) ?? 0));
	return delta;
}

function snapshot(serverPid: number | undefined): Snapshot {
	let machineBusy = Number.NaN;
	let machineTotal = Number.NaN;
	try {
		const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1);
		const [user, nice, system, idle, iowait, irq, softirq, steal] = cpu.map(Number);
		machineBusy = user! + nice! + system! + irq! + softirq! + steal!;
		machineTotal = machineBusy + idle! + iowait!;
	} catch {
		// not Linux
	}
	const usage = process.cpuUsage();
	return {
		at: performance.now(),
		machineBusy,
		machineTotal,
		server: serverPid ? processTicks(serverPid) : 0,
		postgres: postgresTicks(),
		self: (usage.user + usage.system) / 1000 / TICK_MS
	};
}

/** Starts counting; the returned function stops and reports the averages since. */
export function measureCpu(serverPid: number | undefined): () => CpuShare {
	const before = snapshot(serverPid);
	return () => {
		const after = snapshot(serverPid);
		const wallTicks = (after.at - before.at) / TICK_MS;
		const cores = (a: number, b: number) => (a - b) / wallTicks;
		const machine = cores(after.machineBusy, before.machineBusy);
		const server = cores(after.server, before.server);
		const postgres = postgresDelta(before.postgres, after.postgres) / wallTicks;
		const self = cores(after.self, before.self);
		// Processes that exit between the two snapshots take their ticks with them: never below 0.
		const other = Math.max(0, machine - server - postgres - self);
		return { machine, server, postgres, self, other };
	};
}
