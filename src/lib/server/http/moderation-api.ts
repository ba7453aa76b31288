import { json } from '@sveltejs/kit';
import {
	blockListSchema,
	blockStateSchema,
	reportCreatedSchema,
	reportSchema
} from '$lib/schemas/moderation';
import { getMessageForViewer } from '../messaging';
import { blockUser, listBlocks, reportMessage, reportUser, unblockUser } from '../moderation';
import { areCounterparts } from '../moderation/blocks';
import { notFound } from './api';
import { endpoint, type PathParam } from './endpoint';

// Reports and blocks (trust and safety). People report and block, not scripts: these take the
// session cookie only. As everywhere, whoever may not see the message or the person gets the
// same 404 as for one that does not exist, before the body is looked at.

const NO_MESSAGE = 'No such message.';
const NO_USER = 'No such user.';
const messageId: PathParam = { description: 'Message id', notFound: NO_MESSAGE };
const userId: PathParam = {
	description: 'The user id of someone I share a rental with',
	notFound: NO_USER
};

export const postMessageReport = endpoint({
	method: 'POST',
	path: '/api/messages/{id}/reports',
	summary: 'Report a message of my conversation to the operators (optionally blocking its author)',
	params: { id: messageId },
	body: reportSchema,
	responses: { 201: { description: 'The report', schema: reportCreatedSchema } },
	async handler({ db, user, params, body }) {
		const input = await body().catch(async (err) => {
			if (!(await getMessageForViewer(db, user.id, params.id))) throw notFound(NO_MESSAGE);
			throw err;
		});
		const report = await reportMessage(db, user.id, params.id, input);
		if (!report) throw notFound(NO_MESSAGE);
		return json(report, { status: 201 });
	}
});

export const postUserReport = endpoint({
	method: 'POST',
	path: '/api/users/{userId}/reports',
	summary: 'Report someone I share a rental with to the operators (optionally blocking them)',
	params: { userId },
	body: reportSchema,
	responses: { 201: { description: 'The report', schema: reportCreatedSchema } },
	async handler({ db, user, params, body }) {
		const input = await body().catch(async (err) => {
			if (!(await areCounterparts(db, user.id, params.userId))) throw notFound(NO_USER);
			throw err;
		});
		const report = await reportUser(db, user.id, params.userId, input);
		if (!report) throw notFound(NO_USER);
		return json(report, { status: 201 });
	}
});

export const putBlock = endpoint({
	method: 'PUT',
	path: '/api/users/{userId}/block',
	summary:
		'Block someone I share a rental with: no new rentals between us; our conversations stay, muted for me',
	params: { userId },
	responses: { 200: { description: 'Blocked', schema: blockStateSchema } },
	async handler({ db, user, params }) {
		if ((await blockUser(db, user.id, params.userId)) === null) throw notFound(NO_USER);
		return json({ blocked: true });
	}
});

export const deleteBlock = endpoint({
	method: 'DELETE',
	path: '/api/users/{userId}/block',
	summary: 'Lift my block: the conversations it muted are unmuted',
	params: { userId },
	responses: { 200: { description: 'Not blocked', schema: blockStateSchema } },
	async handler({ db, user, params }) {
		if ((await unblockUser(db, user.id, params.userId)) === null) throw notFound(NO_USER);
		return json({ blocked: false });
	}
});

export const getBlocks = endpoint({
	method: 'GET',
	path: '/api/blocks',
	summary:
		'The people I have blocked, most recent first (lift one with DELETE /api/users/{userId}/block)',
	responses: { 200: { description: 'My blocks', schema: blockListSchema } },
	async handler({ db, user }) {
		return json({ blocks: await listBlocks(db, user.id) });
	}
});
