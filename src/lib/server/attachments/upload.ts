import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import busboy from 'busboy';
import { fileTypeFromFile } from 'file-type';
import sharp, { type Metadata, type OutputInfo } from 'sharp';
import type { DomainError } from '../errors';
import { AttachmentRefusedError } from '../messaging/errors';
import { HeifMetadataError, stripHeifMetadata } from './heif-metadata';

// One upload, from the request to checked files on this machine's temporary disk: the multipart
// body is streamed (busboy) into a file, counted as it goes and cut off past the limit; its type
// is decided from its content; an image is decoded under a pixel limit, turned upright, encoded
// again without its metadata (EXIF, GPS) and given two WebP thumbnails. Nothing is held whole in
// memory: the image work streams from and to files too.

/** What the person may send, for the refusal message. */
export const ALLOWED_DESCRIPTION =
	'photos (JPEG, PNG, WebP, GIF, HEIC), PDF, plain text and CSV, Word, Excel, PowerPoint and OpenDocument files, and ZIP archives';

/** The types accepted as file-type names them, and what they are called in a refusal. */
const DOCUMENT_TYPES = new Set([
	'application/pdf',
	'application/zip',
	'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
	'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
	'application/vnd.openxmlformats-officedocument.presentationml.presentation',
	'application/vnd.openxmlformats-officedocument.presentationml.slideshow',
	'application/vnd.oasis.opendocument.text',
	'application/vnd.oasis.opendocument.spreadsheet',
	'application/vnd.oasis.opendocument.presentation',
	'application/vnd.oasis.opendocument.graphics'
]);
/** Decoded, rotated and re-encoded in their own format. */
const REENCODED_IMAGES = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif']);
/**
 * Kept as they are when sharp cannot decode them (its prebuilt libheif reads AV1, not HEVC), with
 * their EXIF and XMP blanked in place (heif-metadata.ts).
 */
const HEIF_IMAGES = new Set(['image/heic', 'image/heif']);

/** The image types a browser shows inline; everything else downloads. */
export const INLINE_TYPES = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif']);

export interface UploadLimits {
	maxBytes: number;
	maxPixels: number;
}

/** A checked upload in a temporary folder, ready to be stored; `cleanup` removes the folder. */
export interface ProcessedUpload {
	filename: string;
	contentType: string;
	/** The bytes to store (for an image, the re-encoded copy). */
	file: string;
	size: number;
	width: number | null;
	height: number | null;
	/** WebP thumbnails (images only): 320 px and 1280 px on the longer side at most. */
	thumbnails: { thumbnail: string; preview: string } | null;
	cleanup(): Promise<void>;
}

const MB = 1024 * 1024;
export function describeBytes(bytes: number): string {
	if (bytes >= MB) return `${Number((bytes / MB).toFixed(1))} MB`;
	if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
	return `${bytes} bytes`;
}

const refuse = (status: number, message: string, why?: string) =>
	new AttachmentRefusedError(status, message, why);

/**
 * Streams the request's one file (multipart field `file`) to a temporary folder and checks it.
 * Throws AttachmentRefusedError (413 too big, 415 not multipart, 400 no file, 422 refused type
 * or unreadable image); nothing is left behind then.
 */
export async function receiveUpload(
	request: Request,
	limits: UploadLimits
): Promise<ProcessedUpload> {
	const type = multipartType(request);
	// A declared length far past the limit is refused before a byte is read (the form's own
	// fields and boundaries take a few kilobytes at most).
	const declared = Number(request.headers.get('content-length'));
	if (Number.isFinite(declared) && declared > limits.maxBytes + 64 * 1024) {
		throw tooBig(limits.maxBytes);
	}
	if (!request.body) throw refuse(400, 'Choose a file to upload.');
	const dir = await mkdtemp(path.join(tmpdir(), 'parley-upload-'));
	const cleanup = () => rm(dir, { recursive: true, force: true });
	try {
		const { files } = await streamParts(request, type, dir, {
			fileField: 'file',
			maxFiles: 1,
			tooMany: 'Send one file per request.',
			maxBytes: limits.maxBytes,
			fields: { count: 10, bytes: 1024 },
			onRefusal: 'cut'
		});
		const received = files[0];
		if (!received) throw refuse(400, 'Choose a file to upload (the multipart field “file”).');
		const checked = await checkUpload(received, limits);
		return { ...checked, cleanup };
	} catch (err) {
		await cleanup();
		throw err;
	}
}

/** A refusal of one file of several: the form names it. */
export class FileRefusedError extends AttachmentRefusedError {
	constructor(
		readonly filename: string,
		cause: { status: number; message: string }
	) {
		super(cause.status, cause.message);
	}
}

/** A form with files (the composer without JavaScript): its text fields, its checked files. */
export interface ReceivedForm {
	fields: Map<string, string[]>;
	files: Omit<ProcessedUpload, 'cleanup'>[];
	/** Removes the temporary folder with every file in it. */
	cleanup(): Promise<void>;
}

export interface FormOptions {
	/** The file input's name. */
	fileField: string;
	maxFiles: number;
	tooMany: string;
	/**
	 * Called with the fields sent before the first file (a browser sends the form in its order:
	 * the text comes first): a refusal means no file is written, only read past.
	 */
	beforeFiles?: (fields: Map<string, string[]>) => DomainError | null;
	/** Filled with the text fields as they come, so that a refused form still has its text. */
	into?: Map<string, string[]>;
}

/**
 * Streams a whole form post with the same busboy code as the one-file upload: text fields are
 * collected, each file goes to its own temporary folder, cut off past ATTACHMENT_MAX_BYTES, then
 * checked like an upload. Nothing is stored: the caller decides. On a refusal the rest of the body
 * is read and dropped (a browser shows the answer only once it has sent its request), nothing is
 * kept, and the error is thrown (FileRefusedError names the file).
 */
export async function receiveForm(
	request: Request,
	limits: UploadLimits,
	options: FormOptions
): Promise<ReceivedForm> {
	const type = multipartType(request);
	const dir = await mkdtemp(path.join(tmpdir(), 'parley-form-'));
	const cleanup = () => rm(dir, { recursive: true, force: true });
	try {
		const { fields, files } = request.body
			? await streamParts(request, type, dir, {
					...options,
					maxBytes: limits.maxBytes,
					// The message (10,000 characters of up to 4 bytes each, and some), a key, ids.
					fields: { count: 40, bytes: 256 * 1024 },
					onRefusal: 'drain'
				})
			: { fields: options.into ?? new Map<string, string[]>(), files: [] };
		const checked: ReceivedForm['files'] = [];
		for (const file of files) {
			try {
				checked.push(await checkUpload(file, limits));
			} catch (err) {
				if (err instanceof AttachmentRefusedError) throw new FileRefusedError(file.filename, err);
				throw err;
			}
		}
		return { fields, files: checked, cleanup };
	} catch (err) {
		await cleanup();
		throw err;
	}
}

/**
 * An attachment already in hand (a reply by email's): written to a temporary folder and checked
 * like an upload, with the same limits. Throws AttachmentRefusedError; nothing is left behind then.
 */
export async function checkBytes(
	bytes: Uint8Array,
	filename: string,
	limits: UploadLimits
): Promise<ProcessedUpload> {
	if (bytes.byteLength > limits.maxBytes) throw tooBig(limits.maxBytes);
	const dir = await mkdtemp(path.join(tmpdir(), 'parley-upload-'));
	const cleanup = () => rm(dir, { recursive: true, force: true });
	try {
		const file = path.join(dir, 'upload');
		await writeFile(file, bytes);
		const checked = await checkUpload({ file, filename, size: bytes.byteLength, dir }, limits);
		return { ...checked, cleanup };
	} catch (err) {
		await cleanup();
		throw err;
	}
}

function multipartType(request: Request): string {
	const type = request.headers.get('content-type') ?? '';
	if (!/^multipart\/form-data\b/i.test(type)) {
		throw refuse(415, 'Send the file as multipart/form-data, in the field “file”.');
	}
	return type;
}

const tooBig = (maxBytes: number) =>
	refuse(
		413,
		`Files can be at most ${describeBytes(maxBytes)}; this one is larger.`,
		`is over ${describeBytes(maxBytes)}`
	);

interface Received {
	file: string;
	/** The file's own temporary folder, where its checked copy and thumbnails go. */
	dir: string;
	filename: string;
	size: number;
}

interface StreamOptions {
	fileField: string;
	maxFiles: number;
	tooMany: string;
	maxBytes: number;
	fields: { count: number; bytes: number };
	beforeFiles?: (fields: Map<string, string[]>) => DomainError | null;
	into?: Map<string, string[]>;
	/**
	 * `cut`: a refusal stops reading the request (the API: a 413 as the body streams in).
	 * `drain`: the rest is read and dropped, so a browser's form post gets its answer.
	 */
	onRefusal: 'cut' | 'drain';
}

function streamParts(
	request: Request,
	contentType: string,
	dir: string,
	options: StreamOptions
): Promise<{ fields: Map<string, string[]>; files: Received[] }> {
	const { maxBytes } = options;
	return new Promise((resolve, reject) => {
		const body = Readable.fromWeb(request.body as WebReadableStream<Uint8Array>);
		let parser: busboy.Busboy;
		try {
			parser = busboy({
				headers: { 'content-type': contentType },
				defParamCharset: 'utf8',
				// busboy says 'limit' on reaching fileSize: one byte more than allowed is too big.
				limits: {
					files: options.maxFiles + 1,
					fileSize: maxBytes + 1,
					fields: options.fields.count,
					fieldSize: options.fields.bytes,
					parts: options.maxFiles + options.fields.count + 2
				}
			});
		} catch {
			reject(refuse(400, 'The multipart body is not valid (no boundary).'));
			return;
		}
		const fields = options.into ?? new Map<string, string[]>();
		const writes: Promise<Received>[] = [];
		let settled = false;
		let refusal: unknown = null;
		let checkedFields = false;
		const streams = new Set<Readable>();
		const fail = (err: unknown) => {
			if (settled || refusal) return;
			if (options.onRefusal === 'drain') {
				// Keep reading (busboy skips what nobody reads); the answer comes at the end.
				refusal = err;
				for (const stream of streams) stream.resume();
				return;
			}
			settled = true;
			// Stop reading the rest of the request: nothing of it is kept, and the temporary
			// files' streams are closed (their folder is removed by the caller).
			body.unpipe(parser);
			body.destroy();
			for (const stream of streams) stream.destroy();
			parser.destroy();
			reject(err);
		};
		parser.on('field', (name, value) => {
			const list = fields.get(name) ?? [];
			list.push(value);
			fields.set(name, list);
		});
		parser.on('file', (field, stream, info) => {
			// A part that is skipped (only resumed) has no reader to hear its error: when the
			// parser is destroyed mid-part, busboy destroys it with "Unexpected end of file",
			// which would otherwise be an uncaught exception that stops the server.
			stream.on('error', () => {});
			// A file input with nothing chosen sends an empty part with no name.
			if (field !== options.fileField || refusal || (info.filename ?? '') === '') {
				stream.resume();
				return;
			}
			if (!checkedFields) {
				checkedFields = true;
				const refused = options.beforeFiles?.(fields);
				if (refused) {
					stream.resume();
					fail(refused);
					return;
				}
			}
			if (writes.length >= options.maxFiles) {
				stream.resume();
				fail(refuse(400, options.tooMany));
				return;
			}
			const filename = info.filename ?? '';
			const own = path.join(dir, String(writes.length));
			const file = path.join(own, 'upload');
			streams.add(stream);
			let size = 0;
			let over = false;
			const tooBigFile = () =>
				options.onRefusal === 'drain'
					? new FileRefusedError(filename, tooBig(maxBytes))
					: tooBig(maxBytes);
			stream.on('limit', () => {
				over = true;
				// After busboy's own handling of the limit, which follows this event.
				queueMicrotask(() => fail(tooBigFile()));
			});
			const counter = new Transform({
				transform(chunk: Buffer, _enc, done) {
					size += chunk.length;
					done(null, chunk);
				}
			});
			const writing = mkdir(own)
				.then(() => pipeline(stream, counter, createWriteStream(file)))
				.then(() => {
					streams.delete(stream);
					if (over) throw tooBigFile();
					return { file, dir: own, filename, size };
				});
			writing.catch((err) => {
				streams.delete(stream);
				stream.resume();
				fail(err);
			});
			writes.push(writing);
		});
		parser.on('filesLimit', () => fail(refuse(400, options.tooMany)));
		parser.on('fieldsLimit', () => fail(refuse(400, 'The form has too many fields.')));
		parser.on('partsLimit', () => fail(refuse(400, 'The form has too many parts.')));
		parser.on('error', () => fail(refuse(400, 'The multipart body could not be read.')));
		parser.on('close', () => {
			if (settled) return;
			Promise.allSettled(writes).then((results) => {
				if (settled) return;
				settled = true;
				const failed = results.find((r) => r.status === 'rejected');
				if (refusal) reject(refusal);
				else if (failed) reject((failed as PromiseRejectedResult).reason);
				else
					resolve({
						fields,
						files: results.map((r) => (r as PromiseFulfilledResult<Received>).value)
					});
			});
		});
		body.on('error', () => fail(refuse(400, 'The upload was interrupted.')));
		body.pipe(parser);
	});
}

async function checkUpload(
	{ file, filename: rawName, size, dir }: Received,
	limits: UploadLimits
): Promise<Omit<ProcessedUpload, 'cleanup'>> {
	if (size === 0) throw refuse(422, 'The file is empty.', 'is empty');
	const sniffed = await fileTypeFromFile(file);
	const name = sanitizeFilename(rawName);
	const base = { filename: name, file, size, width: null, height: null, thumbnails: null };
	if (!sniffed) {
		const text = await textKind(file, name);
		if (text === 'markup') {
			throw notAllowed('HTML, SVG and XML documents');
		}
		if (text === null) throw notAllowed('an unknown binary format');
		return { ...base, contentType: text };
	}
	if (DOCUMENT_TYPES.has(sniffed.mime)) return { ...base, contentType: sniffed.mime };
	if (REENCODED_IMAGES.has(sniffed.mime) || HEIF_IMAGES.has(sniffed.mime)) {
		return processImage(file, name, sniffed.mime, dir, limits, base);
	}
	throw notAllowed(describeSniffed(sniffed.mime, sniffed.ext));
}

function notAllowed(what: string) {
	return refuse(
		422,
		`This file type is not allowed (it is ${what}). You can send ${ALLOWED_DESCRIPTION}.`,
		'is not an allowed type'
	);
}

function describeSniffed(mime: string, ext: string): string {
	if (/msdownload|x-elf|mach-o|x-executable|dosexec/.test(mime) || ext === 'exe') {
		return 'a program';
	}
	if (mime === 'application/xml' || mime.includes('svg') || mime.includes('html')) {
		return 'HTML, SVG or XML';
	}
	if (mime === 'application/x-cfb')
		return 'an old Office or installer file; save it as .docx, .xlsx or .pptx';
	return `.${ext}, ${mime}`;
}

/**
 * Plain text: valid UTF-8 (read in a stream) with no NUL and no control characters but tab,
 * line breaks and form feed. Markup (HTML, SVG, XML) is refused even as text: it is a page a
 * browser would run. CSV is told from other text by its name, once the content says it is text.
 */
async function textKind(
	file: string,
	name: string
): Promise<'text/plain' | 'text/csv' | 'markup' | null> {
	const decoder = new TextDecoder('utf-8', { fatal: true });
	let head = '';
	try {
		for await (const chunk of createReadStream(file, { highWaterMark: 64 * 1024 })) {
			const text = decoder.decode(chunk as Buffer, { stream: true });
			// eslint-disable-next-line no-control-regex
			if (/[\u0000-\u0008\u000B\u000E-\u001F\u007F]/.test(text)) return null;
			if (head.length < 4096) head += text.slice(0, 4096);
		}
		decoder.decode();
	} catch {
		return null;
	}
	const start = head.replace(/^\uFEFF/, '').trimStart();
	if (
		/^<(?:!doctype|html|head|body|script|svg|\?xml|iframe|meta|style|!--)/i.test(start) ||
		/<(?:script|svg|html|iframe)\b/i.test(head)
	) {
		return 'markup';
	}
	return /\.csv$/i.test(name) ? 'text/csv' : 'text/plain';
}

async function processImage(
	file: string,
	name: string,
	mime: string,
	dir: string,
	limits: UploadLimits,
	base: Omit<ProcessedUpload, 'cleanup' | 'contentType'>
): Promise<Omit<ProcessedUpload, 'cleanup'>> {
	let meta: Metadata;
	try {
		// The header only: a decompression bomb is refused before it is decoded.
		meta = await sharp(file, { limitInputPixels: false }).metadata();
	} catch {
		if (HEIF_IMAGES.has(mime)) return keepHeif(file, mime, base);
		throw refuse(
			422,
			'This image could not be read; it may be damaged or cut short.',
			'could not be read'
		);
	}
	const width = meta.width ?? 0;
	const height = meta.pageHeight ?? meta.height ?? 0;
	if (width * height > limits.maxPixels) {
		throw refuse(
			422,
			`This image is ${width.toLocaleString('en')} × ${height.toLocaleString('en')} pixels; images can have at most ${(limits.maxPixels / 1e6).toLocaleString('en')} million.`,
			'has too many pixels'
		);
	}
	// An animation is decoded frame by frame: all its frames together stay under the limit.
	const pages = meta.pages ?? 1;
	if (width * height * pages > limits.maxPixels) {
		throw refuse(
			422,
			`This animation has ${pages.toLocaleString('en')} frames of ${width.toLocaleString('en')} × ${height.toLocaleString('en')} pixels; all frames together can have at most ${(limits.maxPixels / 1e6).toLocaleString('en')} million pixels.`,
			'has too many pixels'
		);
	}
	const animated = pages > 1;
	const open = () => {
		const image = sharp(file, { limitInputPixels: limits.maxPixels, failOn: 'error', animated });
		// Turned upright per EXIF (a still image; animations carry no orientation).
		return animated ? image : image.rotate();
	};
	const output = path.join(dir, 'clean');
	const outputType = HEIF_IMAGES.has(mime) ? 'image/jpeg' : mime;
	let info: OutputInfo;
	try {
		// No withMetadata(): EXIF (GPS included), XMP and IPTC are left behind.
		const image = open();
		const encoded =
			outputType === 'image/jpeg'
				? image.jpeg({ quality: 90, mozjpeg: true })
				: outputType === 'image/png'
					? image.png()
					: outputType === 'image/webp'
						? image.webp({ quality: 90 })
						: image.gif();
		info = await encoded.toFile(output);
		const thumbnail = path.join(dir, 'thumbnail.webp');
		const preview = path.join(dir, 'preview.webp');
		for (const [target, px] of [
			[thumbnail, 320],
			[preview, 1280]
		] as const) {
			await sharp(output, { limitInputPixels: limits.maxPixels })
				.resize(px, px, { fit: 'inside', withoutEnlargement: true })
				.webp({ quality: 80 })
				.toFile(target);
		}
		const { size } = await stat(output);
		const filename = outputType !== mime ? name.replace(/\.(heic|heif)$/i, '') + '.jpg' : name;
		return {
			...base,
			filename,
			file: output,
			size,
			contentType: outputType,
			width: info.width,
			height: info.pageHeight ?? info.height,
			thumbnails: { thumbnail, preview }
		};
	} catch (err) {
		// HEIC that this build cannot decode is kept, without its metadata, as a file to download.
		if (HEIF_IMAGES.has(mime)) return keepHeif(file, mime, base);
		if (err instanceof AttachmentRefusedError) throw err;
		throw refuse(
			422,
			'This image could not be read; it may be damaged or cut short.',
			'could not be read'
		);
	}
}

/**
 * A HEIC/HEIF photo kept undecoded: its EXIF (GPS included) and XMP items are blanked in place.
 * One whose structure cannot be read is refused rather than kept with its location in it.
 */
async function keepHeif(
	file: string,
	mime: string,
	base: Omit<ProcessedUpload, 'cleanup' | 'contentType'>
): Promise<Omit<ProcessedUpload, 'cleanup'>> {
	try {
		await stripHeifMetadata(file);
	} catch (err) {
		if (!(err instanceof HeifMetadataError)) throw err;
		throw refuse(
			422,
			'The location and camera details could not be removed from this HEIC photo, so it was not kept. Send it as JPEG instead.',
			'could not be cleaned of its location details'
		);
	}
	return { ...base, contentType: mime };
}

/** The longest filename kept, in characters (the extension is kept whole). */
export const FILENAME_MAX_LENGTH = 200;

/**
 * A filename that is safe to show and to send in a header: no folders, no control characters,
 * no bidirectional overrides (which make `gpj.exe` read as `exe.jpg`), no leading dots, at most
 * 200 characters with its extension kept.
 */
export function sanitizeFilename(raw: string): string {
	let name = raw.normalize('NFC');
	name = name.split(/[\\/]/).pop() ?? '';
	name = name
		// eslint-disable-next-line no-control-regex
		.replace(/[\u0000-\u001F\u007F-\u009F]/g, '')
		.replace(/[\u061C\u200B-\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/g, '')
		.replace(/["*:<>?|]/g, '_')
		.trim()
		.replace(/^\.+/, '')
		.trim();
	const chars = [...name];
	if (chars.length > FILENAME_MAX_LENGTH) {
		const ext = /\.[\p{L}\p{N}]{1,10}$/u.exec(name)?.[0] ?? '';
		name =
			chars
				.slice(0, FILENAME_MAX_LENGTH - [...ext].length)
				.join('')
				.trimEnd() + ext;
	}
	return name || 'file';
}
