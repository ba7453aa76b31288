// How a message's files read where only text fits: the inbox preview and the notification email
// ("Photo", "3 photos", "File: invoice.pdf", "2 files: invoice.pdf, manual.pdf"). Names and types
// only, never a file's contents.

export interface FileRef {
	filename: string;
	contentType: string;
}

const isImage = (file: FileRef) => file.contentType.startsWith('image/');

export function filesSummary(files: readonly FileRef[]): string {
	if (files.length === 0) return '';
	if (files.every(isImage)) return files.length === 1 ? 'Photo' : `${files.length} photos`;
	if (files.length === 1) return `File: ${files[0]!.filename}`;
	return `${files.length} files: ${files.map((f) => f.filename).join(', ')}`;
}

/** The text of a message with its files named first: "Photo · Here is the scratch". */
export function textWithFiles(body: string, files: readonly FileRef[]): string {
	const summary = filesSummary(files);
	if (!summary) return body;
	return body ? `${summary} · ${body}` : summary;
}

/** "1.2 MB", "340 KB", "12 bytes". */
export function formatBytes(bytes: number): string {
	const MB = 1024 * 1024;
	if (bytes >= MB) return `${Number((bytes / MB).toFixed(1))} MB`;
	if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
	return `${bytes} byte${bytes === 1 ? '' : 's'}`;
}
