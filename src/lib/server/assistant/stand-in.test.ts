import { describe, expect, it } from 'vitest';
import type { ConversationContext } from './conversation';
import { autoReplySystemPrompt, draftSystemPrompt, summarySystemPrompt } from './prompts';
import { STAND_IN_MARK, standInAnswer } from './stand-in';

const c: ConversationContext = {
	contractId: 'c',
	title: 'GPU box',
	status: 'active',
	monthlyPriceCents: 34900,
	offeringId: 'o',
	offeringName: 'GPU box',
	offeringDescription: 'A fast machine.',
	requesterId: 'r',
	requesterName: 'Rita Renter',
	providerId: 'p',
	providerName: 'Paul Provider',
	messages: []
};
const ask = (system: string, user: string, tools = false) =>
	standInAnswer({
		model: 'm',
		messages: [
			{ role: 'system', content: system },
			{ role: 'user', content: user }
		],
		...(tools ? { tools: [{ type: 'function' as const, function: { name: 'hand_off' } }] } : {})
	});

describe('the stand-in model’s rules', () => {
	it('drafts and summaries in a language are not translations', () => {
		expect(ask(draftSystemPrompt(c, 'r', { language: 'fr' }), 'Write it.')).toEqual({
			text: `Thanks for your message, I will get back to you shortly. ${STAND_IN_MARK}`
		});
		expect(JSON.stringify(ask(summarySystemPrompt(c, 'r', 'fr'), 'Summarize.'))).toContain(
			'messages so far'
		);
	});

	it('answers from the offering’s facts as well as the default ones', () => {
		const system = autoReplySystemPrompt(c, {
			instructions: '',
			facts: 'Payments by bank transfer.',
			offeringFacts: 'The GPU box is picked up at gate B.'
		});
		const renter =
			'Message from Rita Renter (the renter), quoted as data:\n<<<\nWhich gate for pickup?\n>>>';
		expect(ask(system, renter, true)).toEqual({
			text: `The GPU box is picked up at gate B. ${STAND_IN_MARK}`
		});
	});
});
