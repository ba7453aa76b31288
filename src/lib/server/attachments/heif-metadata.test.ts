import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HeifMetadataError, stripHeifMetadata } from './heif-metadata';

// The real HEIC photo is in tests/attachments.test.ts; these files are built box by box to reach
// the layouts it does not have: iloc version 2 with 32-bit item ids, an EXIF item inside the meta
// box's idat (construction method 1), an XMP item split over two extents, infe versions 2 and 3.

const u8 = (n: number) => Buffer.from([n]);
const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
const u32 = (n: number) => {
	const b = Buffer.alloc(4);
	b.writeUInt32BE(n);
	return b;
};
const box = (type: string, ...content: Buffer[]) => {
	const body = Buffer.concat(content);
	return Buffer.concat([u32(body.length + 8), Buffer.from(type, 'latin1'), body]);
};
const fullBox = (type: string, version: number, ...content: Buffer[]) =>
	box(type, u8(version), Buffer.alloc(3), ...content);
const cstr = (s: string) => Buffer.from(`${s}\0`);

const EXIF = Buffer.concat([
	u32(0),
	Buffer.from('MM\0*'),
	Buffer.from('GPS-SECRET-EXIF-0123456789')
]);
const XMP = Buffer.from('<x:xmpmeta>GPS-SECRET-XMP 48.8566 2.3508</x:xmpmeta>');
const PICTURE = Buffer.from('HEVC-PICTURE-BYTES-UNTOUCHED');

/** ftyp, meta (iinf, iloc, idat holding the EXIF), mdat (picture, XMP in two pieces). */
function buildHeif(ilocVersion: 1 | 2 = 2): Buffer {
	const id = (n: number) => (ilocVersion === 2 ? u32(n) : u16(n));
	const iinf = fullBox(
		'iinf',
		0,
		u16(3),
		fullBox('infe', 2, u16(1), u16(0), Buffer.from('hvc1'), cstr('')),
		fullBox('infe', 2, u16(2), u16(0), Buffer.from('Exif'), cstr('')),
		fullBox(
			'infe',
			3,
			u32(3),
			u16(0),
			Buffer.from('mime'),
			cstr('XMP'),
			cstr('application/rdf+xml')
		)
	);
	const ftyp = box('ftyp', Buffer.from('heic'), u32(0), Buffer.from('mif1heic'));
	const idat = box('idat', EXIF);
	// The iloc's size does not depend on the offsets it holds: build once to measure, then again.
	const build = (mdatStart: number) => {
		const iloc = fullBox(
			'iloc',
			ilocVersion,
			u8(0x44), // offset size 4, length size 4
			u8(0x40), // base offset size 4, index size 0
			ilocVersion === 2 ? u32(3) : u16(3),
			// picture: in the file
			id(1),
			u16(0),
			u16(0),
			u32(mdatStart + 8),
			u16(1),
			u32(0),
			u32(PICTURE.length),
			// EXIF: in idat (construction method 1)
			id(2),
			u16(1),
			u16(0),
			u32(0),
			u16(1),
			u32(0),
			u32(EXIF.length),
			// XMP: two extents in the file
			id(3),
			u16(0),
			u16(0),
			u32(mdatStart + 8 + PICTURE.length),
			u16(2),
			u32(0),
			u32(20),
			u32(20),
			u32(XMP.length - 20)
		);
		const meta = fullBox('meta', 0, iinf, iloc, idat);
		return { meta, mdat: box('mdat', PICTURE, XMP) };
	};
	const first = build(0);
	const mdatStart = ftyp.length + first.meta.length;
	const { meta, mdat } = build(mdatStart);
	return Buffer.concat([ftyp, meta, mdat]);
}

describe('stripHeifMetadata', () => {
	let dir: string;
	const file = async (name: string, bytes: Buffer) => {
		dir ??= await mkdtemp(path.join(tmpdir(), 'parley-heif-'));
		const target = path.join(dir, name);
		await writeFile(target, bytes);
		return target;
	};
	afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

	it.each([1, 2] as const)(
		'blanks an EXIF item in idat and an XMP item in two extents (iloc version %i)',
		async (version) => {
			const original = buildHeif(version);
			const target = await file(`v${version}.heic`, original);
			expect(await stripHeifMetadata(target)).toEqual({ exif: 1, xmp: 1 });
			const after = await readFile(target);
			expect(after.length).toBe(original.length);
			expect(after.includes(Buffer.from('GPS-SECRET'))).toBe(false);
			expect(after.includes(Buffer.from('48.8566'))).toBe(false);
			expect(after.includes(PICTURE)).toBe(true);
			// The EXIF item is now an empty TIFF block: offset 0, "MM\0*", IFD at 8 with 0 entries.
			const exifAt = original.indexOf(EXIF);
			expect(after.subarray(exifAt, exifAt + 18)).toEqual(
				Buffer.from([0, 0, 0, 0, 0x4d, 0x4d, 0, 0x2a, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0])
			);
			expect(after.subarray(exifAt + 18, exifAt + EXIF.length).every((b) => b === 0)).toBe(true);
			// Everything else is byte for byte the same.
			const xmpAt = original.indexOf(XMP);
			for (let i = 0; i < original.length; i++) {
				const inItem =
					(i >= exifAt && i < exifAt + EXIF.length) || (i >= xmpAt && i < xmpAt + XMP.length);
				if (!inItem) expect(after[i], `byte ${i}`).toBe(original[i]);
			}
			// Stripping again finds the items and changes nothing more.
			expect(await stripHeifMetadata(target)).toEqual({ exif: 1, xmp: 1 });
			expect((await readFile(target)).equals(after)).toBe(true);
		}
	);

	it('refuses files it cannot read rather than guess', async () => {
		const good = buildHeif();
		const noMeta = await file('no-meta.heic', good.subarray(0, good.indexOf('meta') - 4));
		await expect(stripHeifMetadata(noMeta)).rejects.toBeInstanceOf(HeifMetadataError);
		const cut = await file('cut.heic', good.subarray(0, good.indexOf('iloc') + 12));
		await expect(stripHeifMetadata(cut)).rejects.toBeInstanceOf(HeifMetadataError);
		// The XMP's last extent now runs past the end of the file.
		const lying = await file('lying.heic', good.subarray(0, good.length - 10));
		await expect(stripHeifMetadata(lying)).rejects.toBeInstanceOf(HeifMetadataError);
	});
});
