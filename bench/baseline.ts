// `--baseline <ref>`: a production build of another commit, to measure beside the working tree.
// It lives next to the repository, not inside it, so that lint, svelte-check, Vitest and git
// never see a second copy of the sources; one folder per commit, reused by later runs.

import { spawnSync } from 'node:child_process';
import {
	existsSync,
	mkdirSync,
	readdirSync,
	readFileSync,
	renameSync,
	rmSync,
	writeFileSync
} from 'node:fs';
import path from 'node:path';

export interface Baseline {
	ref: string;
	sha: string;
	/** The commit's tree with its own node_modules and build/. */
	root: string;
	/** Whether this run built it (false: reused from an earlier run). */
	built: boolean;
}

function isRunning(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
}

/** Written last: a folder without it is a build that did not finish. */
const READY = '.parley-bench-ready';

function run(command: string, args: string[], cwd: string, input?: Buffer): string {
	const result = spawnSync(command, args, {
		cwd,
		input,
		encoding: input ? undefined : 'utf8',
		maxBuffer: 1024 * 1024 * 1024,
		// The baseline's own install and build, not this repository's environment; plain text
		// errors.
		env: { ...process.env, NODE_ENV: undefined, npm_config_audit: 'false', NO_COLOR: '1' }
	});
	if (result.status !== 0) {
		const output = `${String(result.stdout ?? '')}\n${String(result.stderr ?? '')}`.slice(-4000);
		throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${output}`);
	}
	return String(result.stdout);
}

export function resolveCommit(root: string, ref: string): string {
	const result = spawnSync('git', ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], {
		cwd: root,
		encoding: 'utf8'
	});
	const sha = result.stdout.trim();
	if (result.status !== 0 || !/^[0-9a-f]{40}$/.test(sha))
		throw new Error(`--baseline ${ref}: not a commit of this repository`);
	return sha;
}

/** BENCH_BASELINE_DIR, else `<repository>.bench-baselines` beside the repository. */
export function baselinesFolder(root: string): string {
	return path.resolve(
		process.env.BENCH_BASELINE_DIR?.trim() ||
			path.join(path.dirname(root), `${path.basename(root)}.bench-baselines`)
	);
}

/**
 * The baseline's folder, built if it is not there yet: `git archive` of the commit, its own
 * `npm ci` (from the npm cache when it can) and its own `vite build`, in a temporary folder
 * renamed into place once complete.
 */
export function prepareBaseline(root: string, ref: string, log: (line: string) => void): Baseline {
	const sha = resolveCommit(root, ref);
	const parent = baselinesFolder(root);
	const dir = path.join(parent, sha);
	if (existsSync(path.join(dir, READY))) {
		log(`baseline ${ref} (${sha.slice(0, 10)}): reusing ${dir}`);
		return { ref, sha, root: dir, built: false };
	}
	log(`baseline ${ref} (${sha.slice(0, 10)}): building in ${dir} …`);
	const started = performance.now();
	mkdirSync(parent, { recursive: true });
	rmSync(dir, { recursive: true, force: true });
	const work = `${dir}.tmp-${process.pid}`;
	// Builds that were interrupted (their process is gone) leave their folder behind.
	for (const entry of readdirSync(parent)) {
		const pid = Number(/^[0-9a-f]{40}\.tmp-(\d+)$/.exec(entry)?.[1]);
		if (pid && (pid === process.pid || !isRunning(pid)))
			rmSync(path.join(parent, entry), { recursive: true, force: true });
	}
	mkdirSync(work);
	try {
		const tar = spawnSync('git', ['archive', '--format=tar', sha], {
			cwd: root,
			maxBuffer: 1024 * 1024 * 1024
		});
		if (tar.status !== 0) throw new Error(`git archive ${sha} failed: ${String(tar.stderr)}`);
		run('tar', ['-x', '-f', '-'], work, tar.stdout);
		log('  npm ci …');
		run('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], work);
		log('  vite build …');
		run('npm', ['run', 'build'], work);
		if (!existsSync(path.join(work, 'build', 'index.js')))
			throw new Error(`the baseline's build has no build/index.js`);
		writeFileSync(path.join(work, READY), `${sha}\n`);
		renameSync(work, dir);
	} catch (error) {
		rmSync(work, { recursive: true, force: true });
		throw error;
	}
	log(`  built in ${((performance.now() - started) / 1000).toFixed(0)} s`);
	return { ref, sha, root: dir, built: true };
}

/** Whether the baseline's migrations are a prefix of the working tree's (the usual upgrade). */
export function migrationJournal(root: string): string[] {
	try {
		const journal = JSON.parse(
			readFileSync(path.join(root, 'drizzle', 'meta', '_journal.json'), 'utf8')
		) as { entries: { tag: string }[] };
		return journal.entries.map((e) => e.tag);
	} catch {
		return [];
	}
}
