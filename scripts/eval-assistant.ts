// `npm run eval:assistant`: the provider's assistant on scripted scenarios (src/lib/server/assistant/
// eval.ts), against the model configured by AI_BASE_URL / AI_MODEL, or against the stand-in model
// when none is (or with --stand-in): that checks the harness, not a model. Writes a report to
// test-results/eval-assistant.md (and .json). Exits 1 when a call failed, or below --min-pass N.
import { mkdir, writeFile } from 'node:fs/promises';
import { loadConfig } from '../src/lib/server/config';
import { runEval, reportMarkdown, SCENARIOS } from '../src/lib/server/assistant/eval';
import { aiFromSettings, openAiCompatibleModel } from '../src/lib/server/assistant/model';
import { startStandInModel, STAND_IN_MODEL } from '../src/lib/server/assistant/stand-in';

const args = process.argv.slice(2);
const useStandIn = args.includes('--stand-in');
const minPassArg = args.indexOf('--min-pass');
const minPass = minPassArg >= 0 ? Number(args[minPassArg + 1]) : 0;

const config = loadConfig(process.env);
const configured = useStandIn ? null : aiFromSettings(config.ai);
const standIn = configured ? null : await startStandInModel();
try {
	const ai = configured ?? {
		model: openAiCompatibleModel({
			baseUrl: standIn!.baseUrl,
			apiKey: null,
			model: STAND_IN_MODEL
		}),
		timeoutMs: config.ai.timeoutMs,
		dailyCallsPerUser: Number.MAX_SAFE_INTEGER
	};
	const name = configured
		? `${config.ai.model!.model} at ${config.ai.model!.baseUrl}`
		: `the stand-in model (rules, not a language model: this checks the harness)`;
	console.log(`Assistant eval: ${SCENARIOS.length} scenarios against ${name}`);
	const report = await runEval(ai, name);
	const markdown = reportMarkdown(report);
	await mkdir('test-results', { recursive: true });
	await writeFile('test-results/eval-assistant.md', markdown);
	await writeFile('test-results/eval-assistant.json', JSON.stringify(report, null, 2));
	console.log(markdown);
	console.log('Report: test-results/eval-assistant.md');
	if (report.failedCalls > 0) {
		console.error(`${report.failedCalls} calls failed.`);
		process.exitCode = 1;
	} else if (report.passed < minPass) {
		console.error(
			`Passed ${report.passed} of ${report.scenarios.length}; --min-pass is ${minPass}.`
		);
		process.exitCode = 1;
	}
} finally {
	await standIn?.close();
}
