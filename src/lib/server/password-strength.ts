import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as en from '@zxcvbn-ts/language-en';

// zxcvbn-ts (Dropbox's estimator, maintained): common passwords, names, words, keyboard patterns,
// repeats and sequences. Its dictionaries are large, so it stays on the server and is built once.
let factory: ZxcvbnFactory | null = null;
function estimator(): ZxcvbnFactory {
	factory ??= new ZxcvbnFactory({
		translations: en.translations,
		graphs: common.adjacencyGraphs,
		dictionary: { ...common.dictionary, ...en.dictionary }
	});
	return factory;
}

/** zxcvbn's scale: 3 is "safely unguessable: moderate protection from offline slow-hash attacks". */
export const MIN_PASSWORD_SCORE = 3;

/**
 * Why the password is too easy to guess (to show beside the field), or null when it is strong
 * enough. `related` are the person's own details (email, name), which make a password guessable.
 */
export function passwordWeakness(password: string, related: string[] = []): string | null {
	const inputs = [...related, ...related.flatMap((r) => r.split(/[@.\s]+/)), 'parley'].filter(
		(s) => s.length >= 3
	);
	const result = estimator().check(password, inputs);
	if (result.score >= MIN_PASSWORD_SCORE) return null;
	const why = result.feedback.warning ?? 'It is too easy to guess.';
	const hint = result.feedback.suggestions[0] ?? 'Use a few uncommon words together.';
	return `This password is too easy to guess. ${why} ${hint}`;
}
