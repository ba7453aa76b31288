// What a report can say, for the browser and the server alike: zod-free, so the report dialog and
// the admin pages do not ship the schema library (see e2e/client-bundle). The zod schemas that
// use these live in $lib/schemas/moderation.

export const REPORT_REASONS = ['spam', 'scam', 'harassment', 'contact_details', 'other'] as const;
export type ReportReason = (typeof REPORT_REASONS)[number];

export const REPORT_REASON_LABELS: Record<ReportReason, string> = {
	spam: 'Spam',
	scam: 'Scam or fraud',
	harassment: 'Harassment',
	contact_details: 'Sharing contact details',
	other: 'Something else'
};

export const REPORT_NOTE_MAX = 2000;
