// Sums the JSON reports of every suite CI ran into one closing line: "N passed, N failed".
// A suite whose report is missing did not run (an earlier step failed) and counts as one failure.
import { existsSync, readFileSync } from 'node:fs';

const suites = [
	{ name: 'unit (Vitest)', file: 'test-results/vitest-unit.json', kind: 'vitest' },
	{
		name: 'integration on Postgres (Vitest)',
		file: 'test-results/vitest-integration.json',
		kind: 'vitest'
	},
	{ name: 'e2e (Playwright, Chromium)', file: 'test-results/playwright.json', kind: 'playwright' },
	{
		name: 'integration on PGlite (Vitest)',
		file: 'test-results/vitest-integration-pglite.json',
		kind: 'vitest'
	}
];

let passed = 0;
let failed = 0;
let skipped = 0;
for (const suite of suites) {
	if (!existsSync(suite.file)) {
		console.log(`${suite.name}: no report (did not run)`);
		failed += 1;
		continue;
	}
	const report = JSON.parse(readFileSync(suite.file, 'utf8'));
	let p, f, s;
	if (suite.kind === 'vitest') {
		p = report.numPassedTests;
		f = report.numFailedTests + (report.success || report.numFailedTests > 0 ? 0 : 1);
		s = report.numPendingTests + report.numTodoTests;
	} else {
		p = report.stats.expected + report.stats.flaky;
		f = report.stats.unexpected + (report.errors?.length ?? 0);
		s = report.stats.skipped;
	}
	console.log(`${suite.name}: ${p} passed, ${f} failed, ${s} skipped`);
	passed += p;
	failed += f;
	skipped += s;
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exitCode = failed > 0 ? 1 : 0;
