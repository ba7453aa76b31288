import { goto } from '$app/navigation';
import type { MessageJson, ThreadJson } from '$lib/schemas/messaging';

// System notifications (the Notification API) for messages that arrive while the tab is hidden.
// Opt-in per browser: the choice lives in this browser's storage, next to the permission the
// browser itself keeps.

const STORAGE_KEY = 'parley.browser-notifications';
/** A message.created is decided on when its thread.updated follows (that says if it is muted). */
const PAIR_MS = 2_000;

export type NotificationState = 'unsupported' | 'blocked' | 'off' | 'on';

class BrowserNotifications {
	state = $state<NotificationState>('off');
	private waiting = new Map<string, { message: MessageJson; at: number }>();

	/** Reads what this browser allows and what the user chose; call in the browser only. */
	refresh() {
		if (typeof Notification === 'undefined') this.state = 'unsupported';
		else if (Notification.permission === 'denied') this.state = 'blocked';
		else
			this.state =
				Notification.permission === 'granted' && localStorage.getItem(STORAGE_KEY) === 'on'
					? 'on'
					: 'off';
	}

	async turnOn() {
		if (typeof Notification === 'undefined') return this.refresh();
		const permission = await Notification.requestPermission();
		if (permission === 'granted') localStorage.setItem(STORAGE_KEY, 'on');
		this.refresh();
	}

	turnOff() {
		localStorage.removeItem(STORAGE_KEY);
		this.refresh();
	}

	/** A new message reached this tab: it may deserve a notification once its thread is known. */
	messageArrived(message: MessageJson) {
		if (message.isOwn || message.senderRole === 'system') return;
		this.waiting.set(message.threadId, { message, at: Date.now() });
	}

	/** Its thread followed: notify unless muted, shown, or the tab is in view. */
	threadUpdated(thread: ThreadJson) {
		const entry = this.waiting.get(thread.id);
		this.waiting.delete(thread.id);
		if (!entry || Date.now() - entry.at > PAIR_MS || thread.muted) return;
		this.refresh();
		if (this.state !== 'on' || document.visibilityState !== 'hidden') return;
		const { message } = entry;
		const notification = new Notification(message.senderName ?? 'New message', {
			body: `${thread.subject}: ${message.body.slice(0, 140)}`,
			// One per message, however many tabs saw it.
			tag: message.id
		});
		notification.onclick = () => {
			window.focus();
			notification.close();
			void goto(`/dashboard/rentals/${message.contractId}/messages#message-${message.id}`);
		};
	}
}

export const browserNotifications = new BrowserNotifications();
