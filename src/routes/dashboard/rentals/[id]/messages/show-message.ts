/**
 * Brings one message into view, centred in the message list, and marks it when a search result
 * opened it. MessageList gives each message's item the id `message-<id>`; the mark is an
 * attribute that NewerMessages.svelte styles, so the list itself does not need to know.
 */
export function showMessage(id: string, highlight: boolean): boolean {
	const item = document.getElementById(`message-${id}`);
	if (!item) return false;
	// Only the list scrolls: scrollIntoView would also scroll the conversation's frame (overflow
	// hidden, but scrollable by script) and push its header out of sight.
	const list = scrollingAncestor(item);
	if (list) {
		const box = list.getBoundingClientRect();
		const at = item.getBoundingClientRect();
		const offset = highlight ? (box.height - at.height) / 2 : 0;
		list.scrollTop += at.top - box.top - Math.max(0, offset);
		// The jump to the link's #message-<id> (SvelteKit's, or the browser's on a full load)
		// scrolls the window too when the page is a little taller than it (a long contract panel
		// beside the conversation): the page opens at its top, like any other link.
		window.scrollTo({ top: 0, left: window.scrollX });
	} else {
		item.scrollIntoView({ block: highlight ? 'center' : 'start' });
	}
	if (highlight) item.setAttribute('data-highlighted', '');
	return true;
}

/**
 * Focus follows the eye: a keyboard or screen reader user lands on the message a search result
 * opened, not in the message box. Called while the page mounts: a focus that moved during a
 * navigation is left alone by SvelteKit, which otherwise re-targets the link's #message-<id>
 * afterwards (location.replace), and the browser scrolls that message to the top of the list
 * again, undoing showMessage's centring.
 */
export function focusMessage(id: string): void {
	const item = document.getElementById(`message-${id}`);
	if (!item) return;
	item.tabIndex = -1;
	item.focus({ preventScroll: true });
}

function scrollingAncestor(element: HTMLElement): HTMLElement | null {
	for (let node = element.parentElement; node; node = node.parentElement) {
		const overflow = getComputedStyle(node).overflowY;
		if ((overflow === 'auto' || overflow === 'scroll') && node.scrollHeight > node.clientHeight) {
			return node;
		}
	}
	return null;
}
