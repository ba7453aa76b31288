import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';

// zod is for the server: a browser module that imports a schema module (for a limit, say) ships
// all of it to every visitor. Browser code takes its rules from zod-free modules such as
// $lib/message-rules. This reads the build the e2e suite runs against.
const CLIENT_DIR = 'build/client/_app/immutable';
// Strings that survive minification: zod names its classes when it constructs them.
const ZOD_MARKERS = ['ZodError', '$ZodType'];

test('no browser chunk contains zod', () => {
	const files = readdirSync(CLIENT_DIR, { recursive: true, encoding: 'utf8' }).filter((name) =>
		name.endsWith('.js')
	);
	expect(files.length).toBeGreaterThan(0);
	const withZod = files.filter((name) => {
		const code = readFileSync(path.join(CLIENT_DIR, name), 'utf8');
		return ZOD_MARKERS.some((marker) => code.includes(marker));
	});
	expect(withZod).toEqual([]);
});
