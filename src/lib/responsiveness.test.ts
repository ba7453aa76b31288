import { describe, expect, it } from 'vitest';
import { describeResponsiveness } from './responsiveness';

const base = {
	providerId: '00000000-0000-4000-8000-000000000001',
	days: 30,
	avgResponseTimeHours: 2,
	medianResponseTimeHours: 1.6,
	responseRatePct: 95.2,
	respondedWithin24hPct: 90,
	totalThreads: 20,
	respondedThreads: 19
};

describe('describeResponsiveness', () => {
	it('says how fast and how often', () => {
		expect(describeResponsiveness(base)).toBe('Usually responds within 2 hours, 95% response rate');
		expect(describeResponsiveness({ ...base, medianResponseTimeHours: 0.2 })).toBe(
			'Usually responds within an hour, 95% response rate'
		);
		expect(describeResponsiveness({ ...base, medianResponseTimeHours: 30 })).toBe(
			'Usually responds within 2 days, 95% response rate'
		);
	});

	it('says nothing with too little data', () => {
		expect(describeResponsiveness({ ...base, totalThreads: 2 })).toBeNull();
		expect(describeResponsiveness(null)).toBeNull();
	});

	it('gives only the rate when nothing was answered', () => {
		expect(
			describeResponsiveness({
				...base,
				medianResponseTimeHours: null,
				responseRatePct: 0,
				respondedThreads: 0
			})
		).toBe('0% response rate');
	});
});
