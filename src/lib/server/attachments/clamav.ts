import { createReadStream } from 'node:fs';
import { connect, type Socket } from 'node:net';

// Malware scanning with ClamAV's daemon (clamd), over its INSTREAM command: the file is streamed
// in chunks (4-byte big-endian length, then the bytes; a zero length ends it) and clamd answers
// `stream: OK` or `stream: <signature> FOUND`. TCP (CLAMAV_HOST, CLAMAV_PORT) or a Unix socket
// (CLAMAV_SOCKET), as clamd.conf's TCPSocket or LocalSocket say.

export type ClamavSettings =
	{ socket: string; timeoutMs: number } | { host: string; port: number; timeoutMs: number };

export type ScanResult = { clean: true } | { clean: false; signature: string };

/** clamd could not be reached or answered something else: the upload is refused (fail closed). */
export class ScannerUnavailableError extends Error {}

export async function scanFile(settings: ClamavSettings, file: string): Promise<ScanResult> {
	const socket = await open(settings);
	try {
		const answer = new Promise<string>((resolve, reject) => {
			const chunks: Buffer[] = [];
			socket.on('data', (chunk: Buffer) => chunks.push(chunk));
			socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
			socket.on('error', reject);
		});
		socket.write('zINSTREAM\0');
		for await (const chunk of createReadStream(file, { highWaterMark: 64 * 1024 })) {
			const bytes = chunk as Buffer;
			const length = Buffer.alloc(4);
			length.writeUInt32BE(bytes.length);
			if (!socket.write(Buffer.concat([length, bytes]))) {
				await new Promise((resolve) => socket.once('drain', resolve));
			}
		}
		socket.write(Buffer.alloc(4));
		const text = (await answer).replace(/\0+$/, '').trim();
		if (/^stream: OK$/.test(text)) return { clean: true };
		const found = /^stream: (.+) FOUND$/.exec(text);
		if (found) return { clean: false, signature: found[1]! };
		throw new ScannerUnavailableError(`clamd answered ${JSON.stringify(text)}`);
	} catch (err) {
		if (err instanceof ScannerUnavailableError) throw err;
		throw new ScannerUnavailableError(`clamd failed: ${(err as Error).message}`);
	} finally {
		socket.destroy();
	}
}

function open(settings: ClamavSettings): Promise<Socket> {
	return new Promise((resolve, reject) => {
		const socket =
			'socket' in settings
				? connect(settings.socket)
				: connect({ host: settings.host, port: settings.port });
		socket.setTimeout(settings.timeoutMs, () =>
			socket.destroy(new Error(`no answer within ${settings.timeoutMs} ms`))
		);
		socket.once('connect', () => resolve(socket));
		socket.once('error', (err) =>
			reject(new ScannerUnavailableError(`clamd is not reachable: ${err.message}`))
		);
	});
}
