import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { expect, test, type Page } from '@playwright/test';
import { AuthPages, ConversationPage } from './pages';

// API tokens from the settings page to a script's fetch, and the MCP server driven by the SDK's
// own Client against the production build while the other party watches in a browser.

const TOKEN = /^parley_pat_[a-z2-7]{52}$/;
const RITA_AND_PAUL = '00000000-0000-4000-8000-000000000301';

class TokenSettings {
	constructor(private readonly page: Page) {}

	async create(name: string, options: { kind?: 'Personal' | 'Agent' } = {}) {
		await this.page.goto('/dashboard/settings');
		await this.page.getByLabel('Token name').fill(name);
		if (options.kind)
			await this.page.getByRole('radio', { name: new RegExp(options.kind) }).check();
		await this.page.getByLabel('Expires').selectOption('30');
		await this.page.getByRole('button', { name: 'Create token' }).click();
		await expect(this.page.getByRole('status')).toContainText(`Token “${name}” created`);
		return this.page.getByLabel('Your new token');
	}

	token(name: string) {
		return this.page.getByTestId('api-token').filter({ hasText: name });
	}

	async revoke(name: string) {
		await this.page.getByRole('button', { name: `Revoke ${name}` }).click();
		await expect(this.page.getByRole('status')).toContainText(`Revoked “${name}”`);
	}
}

const call = (baseURL: string, token: string, path: string, init: RequestInit = {}) =>
	fetch(new URL(path, baseURL), {
		...init,
		headers: { authorization: `Bearer ${token}`, ...init.headers }
	});

test('a token made in settings works with fetch, within its scopes, until it is revoked', async ({
	browser,
	baseURL
}) => {
	const context = await browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
	const page = await context.newPage();
	await new AuthPages(page).logIn('renter@example.com');
	const settings = new TokenSettings(page);
	const name = `Script ${Date.now()}`;
	const field = await settings.create(name);

	// Shown once, copied with the button.
	await page.getByRole('button', { name: 'Copy' }).click();
	await expect(page.getByText('Copied to the clipboard.')).toBeVisible();
	const token = await page.evaluate(() => navigator.clipboard.readText());
	expect(token).toMatch(TOKEN);
	await expect(field).toHaveValue(token);
	await expect(settings.token(name)).toContainText(token.slice(0, 17));
	await expect(settings.token(name)).toContainText('messages:read');

	const unread = await call(baseURL!, token, '/api/messages/unread-count');
	expect(unread.status).toBe(200);
	expect(await unread.json()).toEqual({ count: expect.any(Number) });
	// messages:read only: no writing, and never the account.
	const send = await call(baseURL!, token, `/api/contracts/${RITA_AND_PAUL}/messages`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ body: 'From a script' })
	});
	expect(send.status).toBe(403);
	expect(await send.json()).toMatchObject({
		error: { code: 'insufficient_scope', details: { requiredScope: 'messages:write' } }
	});
	expect((await call(baseURL!, token, '/api/tokens')).status).toBe(403);

	// Used: the list says when; the token itself is not on the page any more.
	await page.goto('/dashboard/settings');
	await expect(settings.token(name).getByTestId('last-used')).not.toHaveText('Never');
	await expect(page.getByLabel('Your new token')).toHaveCount(0);
	expect(await page.content()).not.toContain(token);

	await settings.revoke(name);
	await expect(settings.token(name)).toHaveCount(0);
	const after = await call(baseURL!, token, '/api/messages/unread-count');
	expect(after.status).toBe(401);
	expect(await after.json()).toMatchObject({ error: { code: 'unauthorized' } });
	await context.close();
});

test('tokens are created and revoked without JavaScript', async ({ browser, baseURL }) => {
	const context = await browser.newContext({ javaScriptEnabled: false });
	const page = await context.newPage();
	await new AuthPages(page, false).logIn('provider@example.com');
	const settings = new TokenSettings(page);
	const name = `No-JS ${Date.now()}`;
	const token = await (await settings.create(name, { kind: 'Agent' })).inputValue();
	expect(token).toMatch(TOKEN);
	await expect(settings.token(name)).toContainText('Agent');
	expect((await call(baseURL!, token, '/api/messages/inbox')).status).toBe(200);
	await settings.revoke(name);
	expect((await call(baseURL!, token, '/api/messages/inbox')).status).toBe(401);
	await context.close();
});

test('an agent works in a conversation over MCP, and the other party sees it live', async ({
	browser,
	baseURL
}) => {
	const renterContext = await browser.newContext();
	const providerContext = await browser.newContext();
	const strangerContext = await browser.newContext();
	const renter = await renterContext.newPage();
	const provider = await providerContext.newPage();
	const stranger = await strangerContext.newPage();
	await new AuthPages(renter).logIn('renter@example.com');
	await new AuthPages(provider).logIn('provider@example.com');
	await new AuthPages(stranger).logIn('other@example.com');

	// Tokens over JSON with the session cookie.
	const createToken = async (page: Page, name: string) => {
		const response = await page.request.post('/api/tokens', {
			data: {
				name,
				scopes: ['messages:read', 'messages:write', 'contracts:read'],
				kind: 'agent',
				expiresInDays: 30
			}
		});
		expect(response.status()).toBe(201);
		return (await response.json()) as { id: string; token: string };
	};
	const agent = await createToken(renter, 'Rita’s helper');
	const strangers = await createToken(stranger, 'Oscar’s helper');

	const connect = async (token: string) => {
		const client = new Client({ name: 'parley-e2e', version: '1.0.0' });
		await client.connect(
			new StreamableHTTPClientTransport(new URL('/api/mcp', baseURL), {
				requestInit: { headers: { authorization: `Bearer ${token}` } }
			})
		);
		return client;
	};
	const text = (result: unknown) =>
		((result as CallToolResult).content[0] as { text: string }).text;

	try {
		const client = await connect(agent.token);
		const { tools } = await client.listTools();
		expect(tools.map((t) => t.name).sort()).toEqual([
			'get_contract',
			'list_conversations',
			'mark_read',
			'read_conversation',
			'search_messages',
			'send_message'
		]);
		const inbox = await client.callTool({ name: 'list_conversations', arguments: {} });
		expect(text(inbox)).toContain(`contract ${RITA_AND_PAUL}`);
		const conversation = await client.callTool({
			name: 'read_conversation',
			arguments: { contractId: RITA_AND_PAUL }
		});
		expect(text(conversation)).toContain(`Conversation of contract ${RITA_AND_PAUL}`);
		expect(text(conversation)).toContain('You act as "Rita Renter", the requester');

		// Paul has the conversation open: the agent's message arrives live, labelled.
		await provider.goto(`/dashboard/rentals/${RITA_AND_PAUL}/messages`);
		const providerChat = new ConversationPage(provider);
		await expect(providerChat.composer()).toBeVisible();
		const body = `Sent by an agent ${Date.now().toString(36)}`;
		const sent = await client.callTool({
			name: 'send_message',
			arguments: { contractId: RITA_AND_PAUL, body }
		});
		expect(sent.isError).toBeFalsy();
		await expect(providerChat.lastMessage()).toContainText(body, { timeout: 5_000 });
		await expect(providerChat.lastMessage()).toContainText('Rita’s helper for Rita Renter');
		// Rita sees it as her assistant's, not as her own.
		await renter.goto(`/dashboard/rentals/${RITA_AND_PAUL}/messages`);
		const renterChat = new ConversationPage(renter);
		await expect(renterChat.lastMessage()).toContainText(body);
		await expect(renterChat.lastMessage()).toContainText('Rita’s helper for Rita Renter');

		// A stranger's token: the same "not found" as for a contract that does not exist.
		const outsider = await connect(strangers.token);
		const theirs = await outsider.callTool({
			name: 'read_conversation',
			arguments: { contractId: RITA_AND_PAUL }
		});
		const missing = await outsider.callTool({
			name: 'read_conversation',
			arguments: { contractId: '00000000-0000-4000-8000-000000000999' }
		});
		expect(theirs.isError).toBe(true);
		expect(theirs.content).toEqual(missing.content);
		expect(text(theirs)).toBe('not_found: No such contract.');
		await client.close();
		await outsider.close();
	} finally {
		// The e2e database outlives the run on Postgres: leave no live tokens behind.
		await renter.request.delete(`/api/tokens/${agent.id}`);
		await stranger.request.delete(`/api/tokens/${strangers.id}`);
		await renterContext.close();
		await providerContext.close();
		await strangerContext.close();
	}
});
