// npm run db:seed: the demo world, idempotent, on the same database the app would pick.
import { configFromEnv, openDatabase } from '../src/lib/server/db';
import { demoLoginsText, seedDemoData } from '../src/lib/server/seed';

const database = openDatabase(configFromEnv());
try {
	await database.migrate();
	const result = await seedDemoData(database.db);
	console.log(
		`Seeded ${database.driver} (${database.location}): ${result.usersCreated} users, ` +
			`${result.offeringsCreated} offerings, ${result.contractsCreated} contracts created.`
	);
	console.log(demoLoginsText());
} finally {
	await database.close();
}
