import { expect, test, type APIResponse } from '@playwright/test';

// Issue #13, finding 4: sign-up said "An account with this email already exists" (409), so anyone
// could learn who has an account. Now a registered and a new address get the same answer.
test('sign-up answers alike for a registered and a new address (form and enhanced form)', async ({
	playwright,
	baseURL
}) => {
	const origin = new URL(baseURL!).origin;
	// What a response says, without what differs on every request (a fresh session token).
	const shape = async (response: APIResponse) => ({
		status: response.status(),
		location: response.headers()['location'] ?? null,
		cookies: response
			.headersArray()
			.filter((h) => h.name.toLowerCase() === 'set-cookie')
			.map((h) => h.value.replace(/=[^;]*/, '=TOKEN').replace(/Expires=[^;]*/i, 'Expires=DATE')),
		body: (await response.text()).replace(/[a-z0-9]{32}/g, 'TOKEN')
	});
	const signUp = async (email: string, enhanced: boolean) => {
		const context = await playwright.request.newContext({ baseURL });
		const response = await context.post('/signup', {
			form: { displayName: 'Curious', email, password: 'a long unusual passphrase 7' },
			headers: enhanced
				? { origin, accept: 'application/json', 'x-sveltekit-action': 'true' }
				: { origin, accept: 'text/html' },
			maxRedirects: 0
		});
		const result = await shape(response);
		await context.dispose();
		return result;
	};
	for (const enhanced of [false, true]) {
		const registered = await signUp('renter@example.com', enhanced);
		const fresh = await signUp(`new-${Date.now()}-${enhanced}@example.com`, enhanced);
		expect(registered, enhanced ? 'enhanced' : 'plain form').toEqual(fresh);
		expect(fresh.status).toBe(enhanced ? 200 : 303);
	}
});
