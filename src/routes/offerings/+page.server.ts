import { fail, redirect } from '@sveltejs/kit';
import { z } from 'zod';
import { rentSchema } from '$lib/schemas/contracts';
import { rentOffering } from '$lib/server/contracts';
import { getDb } from '$lib/server/db';
import { requireUser } from '$lib/server/guards';
import { failFromDomainError } from '$lib/server/http/actions';
import { enforceRentalLimits } from '$lib/server/limits';
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
		const input = Object.fromEntries(await request.formData());
		// The note goes back into the form when anything is refused, so nothing typed is lost.
		const note = typeof input.message === 'string' ? input.message : '';
		const refusal = (offeringId: string | null, message: string, noteInvalid = false) => ({
			offeringId,
			message,
			note,
			noteInvalid
		});
		const parsed = rentSchema.safeParse(input);
		if (!parsed.success) {
			const { fieldErrors } = z.flattenError(parsed.error);
			if (fieldErrors.offeringId || !fieldErrors.message)
				return fail(400, refusal(null, 'Choose an offering to rent.'));
			return fail(400, refusal(String(input.offeringId), fieldErrors.message[0]!, true));
		}
		const { offeringId, message } = parsed.data;
		let contractId: string;
		try {
			await enforceRentalLimits(getDb(), user.id, { opensConversation: !!message });
			const contract = await rentOffering(getDb(), user.id, offeringId, { message });
			if (!contract) return fail(404, refusal(offeringId, 'This offering no longer exists.'));
			contractId = contract.id;
		} catch (err) {
			return failFromDomainError(err, (text) => refusal(offeringId, text));
		}
		redirect(303, `/dashboard/rentals/${contractId}`);
	}
};
