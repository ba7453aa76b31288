// npm run db:migrate: applies drizzle/ to DATABASE_URL, or to the embedded PGlite without it.
import { configFromEnv, openDatabase } from '../src/lib/server/db';

const database = openDatabase(configFromEnv());
try {
	await database.migrate();
	console.log(`Migrations applied (${database.driver}: ${database.location}).`);
} finally {
	await database.close();
}
