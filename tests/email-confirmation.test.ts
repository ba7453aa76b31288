import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createUser } from '../src/lib/server/auth';
import { rentOffering } from '../src/lib/server/contracts';
import { runMessageNotificationsCron } from '../src/lib/server/cron';
import { createOffering } from '../src/lib/server/offerings';
import { useTestDatabase } from './helpers/db';
import { startFakeResend } from './helpers/fake-resend';
import { makeUser } from './helpers/fixtures';
import { send } from './helpers/messaging';

const t = useTestDatabase();
let fake: Awaited<ReturnType<typeof startFakeResend>>;
beforeEach(async () => {
	fake = await startFakeResend();
});
afterEach(async () => {
	await fake.close();
});

const env = () => ({
	NOTIFY_DELAY_SECONDS: '0',
	NOTIFY_COOLDOWN_SECONDS: '900',
	RESEND_API_KEY: 're_test_key',
	RESEND_BASE_URL: fake.baseUrl,
	EMAIL_FROM: 'Parley <notify@parley.test>',
	ORIGIN: 'https://parley.test',
	EMAIL_SEND_TIMEOUT_MS: '2000'
});
const sentTo = (address: string) =>
	fake.requests.filter((r) => [r.body.to].flat().includes(address));

// Issue #13, finding 4: an attacker signed up a victim's address, rented their own offering five
// times and had Parley send five phishing digests to it.
describe('an address nobody has confirmed', () => {
	it('gets no message digest, however much traffic an attacker makes', async () => {
		const attacker = await makeUser(t.db, 'Attacker');
		const victim = 'victim@example.org';
		const account = await createUser(t.db, {
			email: victim,
			displayName: 'Victim',
			password: 'correct horse battery'
		});
		const offering = await createOffering(t.db, attacker.id, {
			name: 'Bait',
			description: 'Click the link.',
			monthlyPrice: 100
		});
		for (let i = 0; i < 5; i++) {
			const contract = (await rentOffering(t.db, account.id, offering.id))!;
			await send(
				t.db,
				attacker.id,
				contract.id,
				`Urgent: verify your payment at evil.example #${i}`
			);
		}
		await runMessageNotificationsCron(t.db, env());
		expect(sentTo(victim)).toHaveLength(0);
	});
});
