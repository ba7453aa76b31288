// "just now", "5 min ago", "3 h ago", "Yesterday", "Mon", "12 Mar": short times for lists.
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export function relativeTime(value: string | Date, now: Date = new Date()): string {
	const date = new Date(value);
	const diff = now.getTime() - date.getTime();
	if (diff < MINUTE) return 'just now';
	if (diff < HOUR) return `${Math.floor(diff / MINUTE)} min ago`;
	if (diff < DAY && date.getDate() === now.getDate()) return `${Math.floor(diff / HOUR)} h ago`;
	const yesterday = new Date(now);
	yesterday.setDate(now.getDate() - 1);
	if (date.toDateString() === yesterday.toDateString()) return 'Yesterday';
	if (diff < 6 * DAY) return date.toLocaleDateString('en-GB', { weekday: 'short' });
	const sameYear = date.getFullYear() === now.getFullYear();
	return date.toLocaleDateString('en-GB', {
		day: 'numeric',
		month: 'short',
		...(sameYear ? {} : { year: 'numeric' })
	});
}

/** "Today", "Yesterday" or "Monday 12 March 2026", for separators between days of messages. */
export function dayLabel(value: string | Date, now: Date = new Date()): string {
	const date = new Date(value);
	if (date.toDateString() === now.toDateString()) return 'Today';
	const yesterday = new Date(now);
	yesterday.setDate(now.getDate() - 1);
	if (date.toDateString() === yesterday.toDateString()) return 'Yesterday';
	const part = (options: Intl.DateTimeFormatOptions) => date.toLocaleDateString('en-GB', options);
	return `${part({ weekday: 'long' })} ${date.getDate()} ${part({ month: 'long' })} ${date.getFullYear()}`;
}

export function timeOfDay(value: string | Date): string {
	return new Date(value).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
}

/** "Sunday 29 November 2026, 14:05": the full moment, for a title on hover. */
export function fullDateTime(value: string | Date): string {
	return new Date(value).toLocaleString('en-GB', {
		weekday: 'long',
		day: 'numeric',
		month: 'long',
		year: 'numeric',
		hour: '2-digit',
		minute: '2-digit'
	});
}
