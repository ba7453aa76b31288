// npm run user:role -- EMAIL ROLE: makes an account an operator (reaches /admin) or a user again,
// on the same database the app would pick.
import { configFromEnv, openDatabase } from '../src/lib/server/db';
import { setUserRole } from '../src/lib/server/moderation/admin';

const ROLES = ['user', 'operator'] as const;
const [email, role] = process.argv.slice(2);
if (!email || !ROLES.includes(role as (typeof ROLES)[number])) {
	console.error('Usage: npm run user:role -- EMAIL operator|user');
	process.exit(2);
}

const database = openDatabase(configFromEnv());
try {
	await database.migrate();
	if (await setUserRole(database.db, email, role as (typeof ROLES)[number])) {
		console.log(`${email} is now ${role === 'operator' ? 'an operator' : 'a user'}.`);
	} else {
		console.error(`No account with the email ${email}.`);
		process.exitCode = 1;
	}
} finally {
	await database.close();
}
