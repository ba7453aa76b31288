// Small display helpers used by several pages.
const money = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });

export function formatMonthlyPrice(cents: number): string {
	return `${money.format(cents / 100)} / month`;
}

const dateFormat = new Intl.DateTimeFormat('en-GB', {
	day: 'numeric',
	month: 'short',
	year: 'numeric'
});
const dateTimeFormat = new Intl.DateTimeFormat('en-GB', {
	day: 'numeric',
	month: 'short',
	year: 'numeric',
	hour: '2-digit',
	minute: '2-digit'
});

export function formatDate(value: Date | string): string {
	return dateFormat.format(new Date(value));
}

export function formatDateTime(value: Date | string): string {
	return dateTimeFormat.format(new Date(value));
}
