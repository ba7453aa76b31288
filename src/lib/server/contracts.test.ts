import { describe, expect, it } from 'vitest';
import { allowedActions } from './contracts';

describe('allowedActions', () => {
	it('offers the provider accept, reject and cancel on a request', () => {
		expect(allowedActions('requested', 'provider')).toEqual(['accept', 'reject', 'cancel']);
	});

	it('offers the requester only cancel while requested or active', () => {
		expect(allowedActions('requested', 'requester')).toEqual(['cancel']);
		expect(allowedActions('active', 'requester')).toEqual(['cancel']);
	});

	it('offers the provider cancel and complete on an active rental', () => {
		expect(allowedActions('active', 'provider')).toEqual(['cancel', 'complete']);
	});

	it('offers nothing once a contract has ended', () => {
		for (const status of ['rejected', 'cancelled', 'completed'] as const) {
			expect(allowedActions(status, 'provider')).toEqual([]);
			expect(allowedActions(status, 'requester')).toEqual([]);
		}
	});
});
