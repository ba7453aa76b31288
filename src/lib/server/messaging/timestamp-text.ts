// Cursors carry Postgres' own text form of a timestamptz ("2024-02-29 10:00:00.123456+00"). A cursor
// comes back from the client, so its timestamp is checked here: a shape that only looks right
// ("2024-13-45 99:99:99+00", "2024-02-30 ...") would otherwise reach Postgres and fail as a 500.

const PG_TIMESTAMP =
	/^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.\d{1,6})?([+-])(\d\d)(?::(\d\d))?$/;

function daysInMonth(year: number, month: number): number {
	return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Whether `value` is a real instant in Postgres' text form of timestamptz. */
export function isPostgresTimestampText(value: unknown): value is string {
	if (typeof value !== 'string') return false;
	const m = PG_TIMESTAMP.exec(value);
	if (!m) return false;
	const [year, month, day, hour, minute, second, , offsetHours, offsetMinutes] = m
		.slice(1)
		.map((part) => (part === undefined ? 0 : Number(part)));
	return (
		year! >= 1 &&
		month! >= 1 &&
		month! <= 12 &&
		day! >= 1 &&
		day! <= daysInMonth(year!, month!) &&
		hour! <= 23 &&
		minute! <= 59 &&
		second! <= 59 &&
		offsetHours! <= 15 &&
		offsetMinutes! <= 59
	);
}
