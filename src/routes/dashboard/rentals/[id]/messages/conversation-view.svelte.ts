import { tick } from 'svelte';

/** Within this many pixels of the end the reader counts as "at the latest message". */
const AT_END_PX = 48;

/**
 * Where the reader is in the message list, and following the conversation: when they are at the
 * end, new messages (however long) stay in view; when they have scrolled up, the new ones are
 * counted for a "N new messages" button instead of moving the text they are reading.
 */
export class ConversationView {
	atEnd = $state(true);
	newBelow = $state(0);
	private el: HTMLElement | null = null;

	attach(el: HTMLElement) {
		this.el = el;
		const onscroll = () => {
			this.atEnd = el.scrollHeight - el.scrollTop - el.clientHeight < AT_END_PX;
			if (this.atEnd) this.newBelow = 0;
		};
		el.addEventListener('scroll', onscroll, { passive: true });
		return () => el.removeEventListener('scroll', onscroll);
	}

	/** After messages arrived: follow them, or count them. `mine` always brings the end into view. */
	async arrived(incoming: number, mine = false) {
		const follow = mine || this.atEnd;
		await tick();
		if (follow) this.toEnd();
		else this.newBelow += incoming;
	}

	toEnd() {
		if (!this.el) return;
		this.el.scrollTop = this.el.scrollHeight;
		this.atEnd = true;
		this.newBelow = 0;
	}

	/** Keeps what the reader looks at in place while `change` adds content above it. */
	async keepPosition(change: () => void) {
		if (!this.el) return change();
		const fromBottom = this.el.scrollHeight - this.el.scrollTop;
		change();
		await tick();
		this.el.scrollTop = this.el.scrollHeight - fromBottom;
	}
}

/**
 * Marks the conversation read while it is on screen: now if the tab is visible, and again
 * whenever unread messages arrive or the tab comes back into view. Never from a preload: only a
 * page that mounted calls this.
 */
export function readWhileShown(contractId: string, hasUnread: () => boolean) {
	let busy = false;
	const read = async () => {
		if (busy || document.visibilityState !== 'visible' || !hasUnread()) return;
		busy = true;
		try {
			await fetch(`/api/contracts/${contractId}/thread/read`, { method: 'PUT' });
		} catch {
			// Offline: the next arrival or visibility change tries again.
		} finally {
			busy = false;
		}
	};
	const onvisibility = () => void read();
	document.addEventListener('visibilitychange', onvisibility);
	return {
		read,
		stop: () => document.removeEventListener('visibilitychange', onvisibility)
	};
}
