export interface SseEvent {
	id?: string;
	event: string;
	data: unknown;
}

/** Reads a text/event-stream Response into parsed events as they arrive. */
export function readSse(response: Response) {
	const events: SseEvent[] = [];
	const reader = response.body!.getReader();
	const decoder = new TextDecoder();
	let buffer = '';
	let done = false;
	const pump = (async () => {
		try {
			for (;;) {
				const chunk = await reader.read();
				if (chunk.done) break;
				buffer += decoder.decode(chunk.value, { stream: true });
				let end;
				while ((end = buffer.indexOf('\n\n')) >= 0) {
					const block = buffer.slice(0, end);
					buffer = buffer.slice(end + 2);
					const event: Partial<SseEvent> & { lines: string[] } = { lines: [] };
					for (const line of block.split('\n')) {
						if (line.startsWith('id: ')) event.id = line.slice(4);
						else if (line.startsWith('event: ')) event.event = line.slice(7);
						else if (line.startsWith('data: ')) event.lines.push(line.slice(6));
					}
					if (event.event) {
						events.push({
							id: event.id,
							event: event.event,
							data: JSON.parse(event.lines.join('\n'))
						});
					}
				}
			}
		} catch {
			// cancelled
		} finally {
			done = true;
		}
	})();
	return {
		events,
		async waitFor(predicate: (events: SseEvent[]) => boolean, timeoutMs = 5000) {
			const start = Date.now();
			while (!predicate(events)) {
				if (Date.now() - start > timeoutMs) {
					throw new Error(`timed out; got ${JSON.stringify(events.map((e) => e.event))}`);
				}
				await new Promise((r) => setTimeout(r, 20));
			}
		},
		async close() {
			await reader.cancel().catch(() => {});
			await pump;
		},
		get done() {
			return done;
		}
	};
}
