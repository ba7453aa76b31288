import { open, type FileHandle } from 'node:fs/promises';

// HEIC/HEIF photos that this sharp build cannot decode (its libheif has no HEVC decoder) are kept
// as they are, so their metadata is removed without decoding. HEIF is ISOBMFF: the top-level
// `meta` box lists items (iinf/infe) and where their bytes are (iloc extents, in the file or in
// the meta box's own idat). EXIF is an item of type `Exif`, XMP an item of type `mime` with
// content type application/rdf+xml. Their bytes are overwritten in place with an empty EXIF
// block and an empty XMP packet of the same length, so every offset in the file stays valid and
// the picture's own bytes are not touched. Only the meta box is read into memory.

export class HeifMetadataError extends Error {}

const META_MAX_BYTES = 4 * 1024 * 1024;
const XMP_TYPE = 'application/rdf+xml';

/** An empty EXIF item: the 4-byte offset to the TIFF header, then a big-endian TIFF header
 * pointing at an IFD with no entries and no next IFD. */
const EMPTY_EXIF = Buffer.from([0, 0, 0, 0, 0x4d, 0x4d, 0, 0x2a, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0]);
const EMPTY_XMP = Buffer.from(
	'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"/><?xpacket end="w"?>'
);

interface Box {
	type: string;
	/** Where the box's content starts and ends, relative to the buffer or file it was read from. */
	start: number;
	end: number;
}

interface Extent {
	offset: number;
	length: number;
}

export interface StrippedHeif {
	exif: number;
	xmp: number;
}

/**
 * Blanks the EXIF and XMP items of the HEIF file at `path`, in place. Throws HeifMetadataError
 * when the file's structure is not one this reader understands (the caller refuses the file
 * rather than keep metadata it could not remove).
 */
export async function stripHeifMetadata(path: string): Promise<StrippedHeif> {
	const fh = await open(path, 'r+');
	try {
		const { size } = await fh.stat();
		const meta = await readTopLevelMeta(fh, size);
		const buffer = Buffer.alloc(meta.end - meta.start);
		await readExactly(fh, buffer, meta.start);
		// meta is a FullBox: version and flags come first.
		const children = readBoxes(buffer, 4, buffer.length);
		const iinf = children.find((b) => b.type === 'iinf');
		const iloc = children.find((b) => b.type === 'iloc');
		const idat = children.find((b) => b.type === 'idat');
		if (!iinf) return { exif: 0, xmp: 0 };
		if (!iloc) throw new HeifMetadataError('HEIF meta box without iloc');
		const targets = metadataItems(buffer, iinf);
		if (targets.size === 0) return { exif: 0, xmp: 0 };
		const locations = itemLocations(buffer, iloc);
		const counts: StrippedHeif = { exif: 0, xmp: 0 };
		for (const [id, kind] of targets) {
			const location = locations.get(id);
			if (!location) throw new HeifMetadataError(`HEIF item ${id} has no location`);
			const extents = location.extents.map((extent) => {
				let offset: number;
				if (location.method === 0) offset = location.baseOffset + extent.offset;
				else if (location.method === 1 && idat) {
					offset = meta.start + idat.start + location.baseOffset + extent.offset;
				} else {
					throw new HeifMetadataError(`HEIF item ${id}: construction method ${location.method}`);
				}
				if (extent.length === 0 || offset + extent.length > size) {
					throw new HeifMetadataError(`HEIF item ${id}: extent outside the file`);
				}
				return { offset, length: extent.length };
			});
			await overwrite(fh, extents, kind === 'exif' ? EMPTY_EXIF : EMPTY_XMP, kind);
			counts[kind]++;
		}
		return counts;
	} finally {
		await fh.close();
	}
}

async function readExactly(fh: FileHandle, buffer: Buffer, position: number): Promise<void> {
	const { bytesRead } = await fh.read(buffer, 0, buffer.length, position);
	if (bytesRead !== buffer.length) throw new HeifMetadataError('HEIF file cut short');
}

/** The top-level `meta` box's content range in the file, read box header by box header. */
async function readTopLevelMeta(fh: FileHandle, fileSize: number): Promise<Box> {
	const header = Buffer.alloc(16);
	let position = 0;
	for (let boxes = 0; position + 8 <= fileSize && boxes < 64; boxes++) {
		await readExactly(fh, header.subarray(0, Math.min(16, fileSize - position)), position);
		const { type, headerSize, size } = boxHeader(header, 0, fileSize - position);
		if (type === 'meta') {
			if (size > META_MAX_BYTES) throw new HeifMetadataError('HEIF meta box too large');
			return { type, start: position + headerSize, end: position + size };
		}
		position += size;
	}
	throw new HeifMetadataError('HEIF file without a meta box');
}

function boxHeader(
	buffer: Buffer,
	at: number,
	available: number
): { type: string; headerSize: number; size: number } {
	if (available < 8) throw new HeifMetadataError('HEIF box header cut short');
	let size = buffer.readUInt32BE(at);
	const type = buffer.toString('latin1', at + 4, at + 8);
	let headerSize = 8;
	if (size === 1) {
		if (available < 16) throw new HeifMetadataError('HEIF box header cut short');
		size = Number(buffer.readBigUInt64BE(at + 8));
		headerSize = 16;
	} else if (size === 0) {
		size = available;
	}
	if (size < headerSize || size > available) throw new HeifMetadataError(`HEIF box ${type} size`);
	return { type, headerSize, size };
}

function readBoxes(buffer: Buffer, start: number, end: number): Box[] {
	const boxes: Box[] = [];
	let at = start;
	while (at + 8 <= end) {
		const { type, headerSize, size } = boxHeader(buffer, at, end - at);
		boxes.push({ type, start: at + headerSize, end: at + size });
		at += size;
	}
	return boxes;
}

/** A cursor over a box's content; every read is bounds-checked. */
class Reader {
	constructor(
		private readonly buffer: Buffer,
		public at: number,
		private readonly end: number
	) {}
	private need(n: number) {
		if (this.at + n > this.end) throw new HeifMetadataError('HEIF box cut short');
	}
	u8() {
		this.need(1);
		return this.buffer.readUInt8(this.at++);
	}
	u16() {
		this.need(2);
		const v = this.buffer.readUInt16BE(this.at);
		this.at += 2;
		return v;
	}
	u32() {
		this.need(4);
		const v = this.buffer.readUInt32BE(this.at);
		this.at += 4;
		return v;
	}
	/** An unsigned integer of 0, 4 or 8 bytes (iloc's field sizes). */
	uint(bytes: number): number {
		if (bytes === 0) return 0;
		if (bytes === 4) return this.u32();
		if (bytes === 8) {
			this.need(8);
			const v = this.buffer.readBigUInt64BE(this.at);
			this.at += 8;
			if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new HeifMetadataError('HEIF offset');
			return Number(v);
		}
		throw new HeifMetadataError(`HEIF iloc field of ${bytes} bytes`);
	}
	fourcc() {
		this.need(4);
		const v = this.buffer.toString('latin1', this.at, this.at + 4);
		this.at += 4;
		return v;
	}
	/** A NUL-terminated UTF-8 string (the last one of a box may lack its NUL). */
	string() {
		const nul = this.buffer.indexOf(0, this.at);
		const stop = nul === -1 || nul > this.end ? this.end : nul;
		const v = this.buffer.toString('utf8', this.at, stop);
		this.at = Math.min(stop + 1, this.end);
		return v;
	}
	get left() {
		return this.end - this.at;
	}
}

/** The ids of the EXIF and XMP items (iinf's infe entries). */
function metadataItems(buffer: Buffer, iinf: Box): Map<number, 'exif' | 'xmp'> {
	const r = new Reader(buffer, iinf.start, iinf.end);
	const version = r.u8();
	r.at += 3;
	const count = version === 0 ? r.u16() : r.u32();
	const items = new Map<number, 'exif' | 'xmp'>();
	const entries = readBoxes(buffer, r.at, iinf.end).filter((b) => b.type === 'infe');
	if (entries.length !== count) throw new HeifMetadataError('HEIF iinf entry count');
	for (const infe of entries) {
		const e = new Reader(buffer, infe.start, infe.end);
		const v = e.u8();
		e.at += 3;
		let id: number;
		let type = '';
		let contentType = '';
		if (v >= 2) {
			id = v === 2 ? e.u16() : e.u32();
			e.u16(); // protection index
			type = e.fourcc();
			e.string(); // name
			if (type === 'mime' && e.left > 0) contentType = e.string();
		} else {
			id = e.u16();
			e.u16();
			e.string();
			if (e.left > 0) contentType = e.string();
		}
		if (type === 'Exif') items.set(id, 'exif');
		else if (contentType.toLowerCase() === XMP_TYPE) items.set(id, 'xmp');
	}
	return items;
}

interface Location {
	method: number;
	baseOffset: number;
	extents: Extent[];
}

function itemLocations(buffer: Buffer, iloc: Box): Map<number, Location> {
	const r = new Reader(buffer, iloc.start, iloc.end);
	const version = r.u8();
	r.at += 3;
	if (version > 2) throw new HeifMetadataError(`HEIF iloc version ${version}`);
	const sizes = r.u8();
	const offsetSize = sizes >> 4;
	const lengthSize = sizes & 0xf;
	const more = r.u8();
	const baseOffsetSize = more >> 4;
	const indexSize = version === 1 || version === 2 ? more & 0xf : 0;
	const count = version < 2 ? r.u16() : r.u32();
	const locations = new Map<number, Location>();
	for (let i = 0; i < count; i++) {
		const id = version < 2 ? r.u16() : r.u32();
		const method = version === 1 || version === 2 ? r.u16() & 0xf : 0;
		if (r.u16() !== 0) throw new HeifMetadataError('HEIF item in another file');
		const baseOffset = r.uint(baseOffsetSize);
		const extentCount = r.u16();
		const extents: Extent[] = [];
		for (let k = 0; k < extentCount; k++) {
			if (indexSize > 0) r.uint(indexSize);
			extents.push({ offset: r.uint(offsetSize), length: r.uint(lengthSize) });
		}
		locations.set(id, { method, baseOffset, extents });
	}
	return locations;
}

/** Writes the empty item over the extents, padded to their length: zeros (EXIF), spaces (XMP). */
async function overwrite(
	fh: FileHandle,
	extents: Extent[],
	empty: Buffer,
	kind: 'exif' | 'xmp'
): Promise<void> {
	const total = extents.reduce((sum, e) => sum + e.length, 0);
	const head = total >= empty.length ? empty : Buffer.alloc(0);
	const pad = kind === 'exif' ? 0 : 0x20;
	let written = 0;
	for (const extent of extents) {
		let done = 0;
		while (done < extent.length) {
			const n = Math.min(64 * 1024, extent.length - done);
			const chunk = Buffer.alloc(n, pad);
			// The part of the empty item that falls in this chunk.
			const from = written + done;
			if (from < head.length) head.copy(chunk, 0, from, Math.min(head.length, from + n));
			await fh.write(chunk, 0, n, extent.offset + done);
			done += n;
		}
		written += extent.length;
	}
}
