import { fail, redirect } from '@sveltejs/kit';
import { rentSchema } from '$lib/schemas/contracts';
import { rentOffering } from '$lib/server/contracts';
import { getDb } from '$lib/server/db';
import { requireUser } from '$lib/server/guards';
import { failFromDomainError } from '$lib/server/http/actions';
import { getProviderResponseMetrics } from '$lib/server/messaging/metrics';
import { listOfferings } from '$lib/server/offerings';
import { describeResponsiveness } from '$lib/responsiveness';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async () => {
	const db = getDb();
	const offerings = await listOfferings(db);
	// One metrics query per provider on the page, not per offering.
	const providerIds = [...new Set(offerings.map((o) => o.provider.id))];
	const metrics = await Promise.all(
		providerIds.map((id) => getProviderResponseMetrics(db, id, 30))
	);
	const responsiveness = Object.fromEntries(
		metrics.map((m) => [m.providerId, describeResponsiveness(m)])
	);
	return { offerings, responsiveness };
};

export const actions: Actions = {
	rent: async ({ locals, request, url }) => {
		const user = requireUser(locals, url);
		const parsed = rentSchema.safeParse(Object.fromEntries(await request.formData()));
		if (!parsed.success)
			return fail(400, { offeringId: null, message: 'Choose an offering to rent.' });
		const { offeringId } = parsed.data;
		let contractId: string;
		try {
			const contract = await rentOffering(getDb(), user.id, offeringId);
			if (!contract) return fail(404, { offeringId, message: 'This offering no longer exists.' });
			contractId = contract.id;
		} catch (err) {
			return failFromDomainError(err, (message) => ({ offeringId, message }));
		}
		redirect(303, `/dashboard/rentals/${contractId}`);
	}
};
