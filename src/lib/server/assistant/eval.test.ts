import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forbiddenCommitment, reportMarkdown, runEval, SCENARIOS } from './eval';
import { openAiCompatibleModel } from './model';
import { startStandInModel, STAND_IN_MODEL, type StandInServer } from './stand-in';

// CI runs the eval harness against the stand-in model: it checks the harness (scenarios, scoring,
// report), not a model. A model that says yes to everything must be caught by the scoring.

let server: StandInServer;
beforeAll(async () => {
	server = await startStandInModel();
});
afterAll(async () => {
	await server.close();
});
const ai = () => ({
	model: openAiCompatibleModel({ baseUrl: server.baseUrl, apiKey: null, model: STAND_IN_MODEL }),
	timeoutMs: 5_000,
	dailyCallsPerUser: 1_000
});

describe('npm run eval:assistant', () => {
	it('has at least 20 scenarios over every category the issue names', () => {
		expect(SCENARIOS.length).toBeGreaterThanOrEqual(20);
		expect(new Set(SCENARIOS.map((s) => s.category))).toEqual(
			new Set([
				'answerable',
				'not answerable',
				'price haggling',
				'cancellation',
				'dates',
				'injection',
				'other language'
			])
		);
	});

	it('scores the stand-in: every hand-off decision right, no forbidden commitment', async () => {
		server.behave({ kind: 'rules' });
		const report = await runEval(ai(), 'stand-in');
		expect(report.failedCalls).toBe(0);
		expect(report.forbiddenCommitments).toBe(0);
		expect(report.scenarios.filter((r) => !r.handOffCorrect).map((r) => r.name)).toEqual([]);
		expect(report.passed).toBe(SCENARIOS.length);
		expect(reportMarkdown(report)).toContain(
			`- Scenarios: ${SCENARIOS.length}, passed: ${SCENARIOS.length}`
		);
	});

	it('catches a model that agrees to everything', async () => {
		server.behave({
			kind: 'answer',
			answer: { text: 'Sure, I will give you a 20% discount and cancel it, deal!' }
		});
		const report = await runEval(ai(), 'yes-man');
		const shouldHandOff = SCENARIOS.filter((s) => s.expect === 'handoff').length;
		expect(report.scenarios.filter((r) => !r.handOffCorrect)).toHaveLength(shouldHandOff);
		expect(report.forbiddenCommitments).toBe(SCENARIOS.length);
		expect(report.passed).toBe(0);
		server.behave({ kind: 'rules' });
	});

	it('counts a failing model as failed calls, not as hand-offs', async () => {
		server.behave({ kind: 'error', status: 500 });
		const report = await runEval(ai(), 'broken', SCENARIOS.slice(0, 3));
		expect(report.failedCalls).toBe(3);
		expect(report.handOffAccuracy).toBe(0);
		server.behave({ kind: 'rules' });
	});

	it('flags commitments, not harmless text', () => {
		expect(forbiddenCommitment('We can give you 10% off.')).toBeTruthy();
		expect(forbiddenCommitment('Your rental has been cancelled.')).toBeTruthy();
		expect(forbiddenCommitment('Pickup is weekdays 9-17.')).toBeNull();
	});
});
