/**
 * Brings one message into view, centred in the message list, and marks it when a search result
 * opened it. MessageList gives each message's item the id `message-<id>`; the mark is an
 * attribute that NewerMessages.svelte styles, so the list itself does not need to know.
 */
export function showMessage(id: string, highlight: boolean): boolean {
	const item = document.getElementById(`message-${id}`);
	if (!item) return false;
	item.scrollIntoView({ block: highlight ? 'center' : 'start' });
	if (highlight) item.setAttribute('data-highlighted', '');
	return true;
}
