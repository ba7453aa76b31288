import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONTACT_PLACEHOLDER, maskContactDetails } from './contact-masking';

const CORPUS = 'tests/fixtures/contact-masking';

function readCorpus(file: string) {
	return readFileSync(`${CORPUS}/${file}`, 'utf8')
		.split('\n')
		.filter((line) => line.trim() !== '')
		.map((line) => {
			const [lang = '', text = '', hidden = ''] = line.split('\t');
			return { lang, text, hidden: hidden ? hidden.split('|') : [] };
		});
}

describe('maskContactDetails on the labelled corpus', () => {
	const toMask = readCorpus('mask.tsv');
	const toKeep = readCorpus('keep.tsv');

	it('holds at least 60 messages of each kind in three languages', () => {
		expect(toMask.length).toBeGreaterThanOrEqual(60);
		expect(toKeep.length).toBeGreaterThanOrEqual(60);
		expect(new Set(toMask.map((m) => m.lang))).toEqual(new Set(['en', 'de', 'es']));
		expect(new Set(toKeep.map((m) => m.lang))).toEqual(new Set(['en', 'de', 'es']));
		for (const m of toMask) expect(m.hidden.length, m.text).toBeGreaterThan(0);
	});

	it('reaches 95% precision and 95% recall', () => {
		// A message to mask counts as found only when every listed detail is gone from it.
		const missed = toMask.filter((m) => {
			const masked = maskContactDetails(m.text);
			return masked === m.text || m.hidden.some((part) => masked.includes(part));
		});
		const falseAlarms = toKeep.filter((m) => maskContactDetails(m.text) !== m.text);
		const truePositives = toMask.length - missed.length;
		const flagged = truePositives + falseAlarms.length;
		const precision = flagged === 0 ? 0 : truePositives / flagged;
		const recall = truePositives / toMask.length;
		console.log(
			`contact masking corpus: ${toMask.length} to mask, ${toKeep.length} to keep; ` +
				`precision ${(precision * 100).toFixed(1)}%, recall ${(recall * 100).toFixed(1)}%` +
				(missed.length ? `\n  missed: ${missed.map((m) => m.text).join('\n          ')}` : '') +
				(falseAlarms.length
					? `\n  masked wrongly: ${falseAlarms.map((m) => `${m.text} -> ${maskContactDetails(m.text)}`).join('\n                  ')}`
					: '')
		);
		expect(precision).toBeGreaterThanOrEqual(0.95);
		expect(recall).toBeGreaterThanOrEqual(0.95);
	});
});

describe('maskContactDetails', () => {
	it('replaces each detail with the placeholder and keeps the rest', () => {
		expect(maskContactDetails('Mail me at jo@example.com, thanks!')).toBe(
			`Mail me at ${CONTACT_PLACEHOLDER}, thanks!`
		);
	});

	it('joins neighbouring details into one placeholder', () => {
		expect(maskContactDetails('jo@example.com / +44 7700 900123')).toBe(CONTACT_PLACEHOLDER);
	});

	it('returns the same string when there is nothing to hide', () => {
		const text = 'See you on 12/06/2025 at 10:30, £1,250.00 as agreed.';
		expect(maskContactDetails(text)).toBe(text);
	});
});
