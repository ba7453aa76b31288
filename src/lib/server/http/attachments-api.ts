import { json } from '@sveltejs/kit';
import { Readable } from 'node:stream';
import { z } from 'zod';
import { uploadedAttachmentSchema } from '$lib/schemas/messaging';
import {
	attachmentStorage,
	contentDisposition,
	createAttachment,
	findAttachmentForViewer,
	isInlineType,
	PRESIGNED_URL_SECONDS,
	variantKey
} from '../attachments';
import { attachmentSettings } from '../config';
import { notFound } from './api';
import { endpoint, type PathParam } from './endpoint';

const NO_CONTRACT = 'No such contract.';
const NO_ATTACHMENT = 'No such file.';
const contractId: PathParam = { description: 'Contract id', notFound: NO_CONTRACT };
const attachmentId: PathParam = { description: 'Attachment id', notFound: NO_ATTACHMENT };

export const postAttachment = endpoint({
	method: 'POST',
	path: '/api/contracts/{id}/attachments',
	summary:
		'Upload one file into the contract’s conversation; send it with a message’s attachmentIds within 24 hours',
	scope: 'messages:write',
	params: { id: contractId },
	multipartFile: {
		description: `The file, at most ATTACHMENT_MAX_BYTES (25 MB by default). Its type is read from its content: photos, PDF, text and CSV, Office and OpenDocument files, ZIP.`
	},
	responses: {
		201: {
			description: 'The stored upload, not yet visible to anyone else',
			schema: uploadedAttachmentSchema
		}
	},
	errors: [400, 413, 415, 422, 503],
	async handler({ db, user, params, event }) {
		const settings = attachmentSettings();
		const uploaded = await createAttachment(db, user.id, params.id, event.request, settings);
		if (!uploaded) throw notFound(NO_CONTRACT);
		return json(uploaded, { status: 201 });
	}
});

export const getAttachment = endpoint({
	method: 'GET',
	path: '/api/attachments/{id}',
	summary:
		'Download a file of the conversation (parties only): streamed through the app, or with S3_DOWNLOADS=redirect a redirect to the bucket valid for 5 minutes',
	scope: 'messages:read',
	params: { id: attachmentId },
	query: z.object({
		variant: z
			.enum(['thumbnail', 'preview'], { error: 'variant must be "thumbnail" or "preview".' })
			.optional()
			.meta({ description: 'An image’s WebP thumbnail: 320 px (thumbnail) or 1280 px (preview).' })
	}),
	responses: {
		200: { description: 'The file', contentType: 'application/octet-stream' },
		302: {
			description:
				'S3 storage with S3_DOWNLOADS=redirect: a presigned URL of the file, valid 5 minutes, with the same type and disposition'
		}
	},
	async handler({ db, user, params, query }) {
		const found = await findAttachmentForViewer(db, user.id, params.id);
		if (!found) throw notFound(NO_ATTACHMENT);
		const variant = query.variant ?? 'original';
		if (variant !== 'original' && !found.hasThumbnails) {
			throw notFound('This file has no thumbnail.');
		}
		const key = variantKey(found.storageKey, variant);
		const contentType = variant === 'original' ? found.contentType : 'image/webp';
		const filename =
			variant === 'original'
				? found.filename
				: `${found.filename.replace(/\.[^.]*$/, '')}-${variant}.webp`;
		const disposition =
			isInlineType(contentType) || variant !== 'original' ? 'inline' : 'attachment';
		const file = {
			contentType: contentType.startsWith('text/') ? `${contentType}; charset=utf-8` : contentType,
			contentDisposition: contentDisposition(disposition, filename)
		};
		const storage = attachmentStorage();
		// Redirect mode: the bucket sends the bytes, with the type and disposition signed into the
		// link (it cannot send nosniff or a CSP: only sniffed, allow-listed types are ever stored).
		const url = await storage.downloadUrl(key, file, PRESIGNED_URL_SECONDS);
		if (url) {
			return new Response(null, {
				status: 302,
				headers: { Location: url, 'Cache-Control': 'private, no-store' }
			});
		}
		const stream = await storage.read(key);
		if (!stream) throw notFound(NO_ATTACHMENT);
		// The same answer from local disk and S3: nothing in it can run as a page of this origin.
		const headers = new Headers({
			'Content-Type': file.contentType,
			'Content-Disposition': file.contentDisposition,
			'Cache-Control': 'private, max-age=300',
			'X-Content-Type-Options': 'nosniff',
			'Content-Security-Policy': "default-src 'none'; sandbox",
			'Cross-Origin-Resource-Policy': 'same-origin'
		});
		return new Response(Readable.toWeb(stream) as ReadableStream, { status: 200, headers });
	}
});
