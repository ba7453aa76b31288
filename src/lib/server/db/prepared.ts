import type { Db } from './index';

/**
 * A Drizzle query built once per database handle and then run with placeholder values
 * (`sql.placeholder`). Building a query (walking the schema objects, rendering the SQL) cost
 * about a fifth of the app's CPU per request on the hottest endpoints; a prepared query renders
 * once and only fills in its parameters. One cache per handle, because a query belongs to the
 * pool (or transaction) it was built on; handles that go away take their queries with them.
 */
export function preparedPerDb<Q>(build: (db: Db) => Q): (db: Db) => Q {
	const cache = new WeakMap<Db, Q>();
	return (db) => {
		let query = cache.get(db);
		if (!query) {
			query = build(db);
			cache.set(db, query);
		}
		return query;
	};
}
