import { invalidate, invalidateAll } from '$app/navigation';
import { navigating } from '$app/state';
import { browserNotifications } from '$lib/browser-notifications.svelte';

export interface TypingState {
	threadId: string;
	contractId: string;
	userId: string;
	name: string;
	until: number;
}

/** A reply the assistant is writing for a provider, as it grows (never stored until done). */
export interface AssistantWriting {
	threadId: string;
	contractId: string;
	/** "Assistant for Paul". */
	label: string;
	text: string;
	done: boolean;
}

const TYPING_SHOWN_MS = 4_000;
/** A placeholder with no update for this long is gone (its writer died): it is no longer shown. */
const ASSISTANT_STALE_MS = 30_000;

/**
 * One EventSource per tab. It keeps the badge count it is told, and asks the pages that show
 * messages to reload their data when something changed, so there is one source of truth (the
 * load functions) and no second copy of the rules in the browser.
 */
class LiveClient {
	connected = $state(false);
	unread = $state<number | null>(null);
	typing = $state<TypingState | null>(null);
	/** Replies being written by an assistant, by contract id. */
	assistant = $state<Record<string, AssistantWriting>>({});
	private assistantTimers = new Map<string, ReturnType<typeof setTimeout>>();
	private source: EventSource | null = null;
	private reloadTimer: ReturnType<typeof setTimeout> | null = null;
	private typingTimer: ReturnType<typeof setTimeout> | null = null;
	private users = 0;

	/** Called by each component that needs the stream; the last one to leave closes it. */
	start(): () => void {
		this.users++;
		if (!this.source) this.open();
		return () => {
			this.users--;
			if (this.users === 0) this.stop();
		};
	}

	private open() {
		const source = new EventSource('/api/messages/stream');
		this.source = source;
		source.onopen = () => (this.connected = true);
		// EventSource reconnects by itself, sending Last-Event-ID; until then the pages poll, and
		// the badge goes back to their count (the last one heard may be out of date).
		source.onerror = () => {
			this.connected = false;
			this.unread = null;
			void invalidate('app:unread');
		};
		source.addEventListener('unread.changed', (e) => {
			this.unread = (JSON.parse((e as MessageEvent).data) as { count: number }).count;
		});
		for (const type of [
			'message.created',
			'message.updated',
			'message.deleted',
			'message.read',
			'message.unread',
			'thread.updated'
		]) {
			source.addEventListener(type, () => this.reloadSoon());
		}
		source.addEventListener('message.created', (e) =>
			browserNotifications.messageArrived(JSON.parse((e as MessageEvent).data))
		);
		source.addEventListener('thread.updated', (e) =>
			browserNotifications.threadUpdated(JSON.parse((e as MessageEvent).data))
		);
		source.addEventListener('resync', () => void invalidateAll());
		// The session ended (logout elsewhere, a password change, expiry): the pages' loads send
		// the user to the login page. Too many streams: a newer tab took this one's place.
		source.addEventListener('signed-out', () => {
			this.stop();
			void invalidateAll();
		});
		source.addEventListener('too-many-streams', () => this.stop());
		source.addEventListener('assistant', (e) => {
			const data = JSON.parse((e as MessageEvent).data) as AssistantWriting;
			const timer = this.assistantTimers.get(data.contractId);
			if (timer) clearTimeout(timer);
			if (data.done) {
				delete this.assistant[data.contractId];
				this.assistantTimers.delete(data.contractId);
				return;
			}
			this.assistant[data.contractId] = data;
			this.assistantTimers.set(
				data.contractId,
				setTimeout(() => delete this.assistant[data.contractId], ASSISTANT_STALE_MS)
			);
		});
		source.addEventListener('typing', (e) => {
			const data = JSON.parse((e as MessageEvent).data) as Omit<TypingState, 'until'>;
			this.typing = { ...data, until: Date.now() + TYPING_SHOWN_MS };
			if (this.typingTimer) clearTimeout(this.typingTimer);
			this.typingTimer = setTimeout(() => (this.typing = null), TYPING_SHOWN_MS);
		});
	}

	/** Events often come in pairs (a message and its thread); one reload serves them all. */
	private reloadSoon() {
		if (this.reloadTimer) return;
		this.reloadTimer = setTimeout(() => {
			this.reloadTimer = null;
			// A reload now would supersede a navigation under way (a form action's redirect, say)
			// and leave the user where they were: wait until it has landed.
			if (navigating.to) {
				this.reloadSoon();
				return;
			}
			// A new message ends "is typing".
			this.typing = null;
			void invalidate('app:messages');
		}, 50);
	}

	private stop() {
		this.source?.close();
		this.source = null;
		this.connected = false;
		this.unread = null;
	}
}

export const live = new LiveClient();
