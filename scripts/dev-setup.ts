// Runs before `vite dev`: migrate, load the demo world into an empty database, say how to sign in.
import { configFromEnv, isDatabaseEmpty, openDatabase } from '../src/lib/server/db';
import { demoLoginsText, seedDemoData } from '../src/lib/server/seed';

const database = openDatabase(configFromEnv());
try {
	console.log(`Parley: preparing the ${database.driver} database (${database.location})...`);
	await database.migrate();
	if (await isDatabaseEmpty(database.db)) {
		await seedDemoData(database.db);
		console.log('Parley: empty database, demo data loaded.');
	}
	const port = process.env.PORT ?? '5173';
	console.log(
		`\nParley will be at http://localhost:${port}/ (Vite prints the final address below).`
	);
	console.log(demoLoginsText() + '\n');
} finally {
	await database.close();
}
