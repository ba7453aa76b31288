// A person's avatar: their initials on a colour derived from their id, so the same person looks
// the same on every page and every visit, with no stored picture.

/** Up to two initials: "Paul Provider" -> "PP", "Rita" -> "R". */
export function initials(name: string): string {
	const words = name.trim().split(/\s+/).filter(Boolean);
	const letters = words.length > 1 ? [words[0]!, words.at(-1)!] : words;
	return letters.map((w) => Array.from(w)[0]!.toUpperCase()).join('');
}

/** A hue (0-359) from an id, by a small FNV-1a hash: stable, and spread across the wheel. */
export function avatarHue(id: string): number {
	let hash = 0x811c9dc5;
	for (let i = 0; i < id.length; i++) {
		hash ^= id.charCodeAt(i);
		hash = Math.imul(hash, 0x01000193);
	}
	return (hash >>> 0) % 360;
}
