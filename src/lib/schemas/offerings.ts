import { z } from 'zod';

export const MAX_MONTHLY_PRICE = 1_000_000;

/** Prices are typed in whole currency units with up to two decimals and stored in cents. */
export const offeringSchema = z.object({
	name: z
		.string({ error: 'Enter a name.' })
		.trim()
		.min(3, 'Use at least 3 characters for the name.')
		.max(120, 'Keep the name under 120 characters.')
		.regex(/^[^\p{Cc}]*$/u, 'The name cannot contain control characters.'),
	description: z
		.string({ error: 'Enter a description.' })
		.trim()
		.min(1, 'Enter a description.')
		.max(5000, 'Keep the description under 5,000 characters.'),
	monthlyPrice: z.coerce
		.string({ error: 'Enter the monthly price.' })
		.trim()
		.regex(
			/^\d+(\.\d{1,2})?$/,
			'Enter the monthly price as a number with at most two decimals, such as 49.50.'
		)
		.transform((s) => Math.round(Number(s) * 100))
		.refine((cents) => cents <= MAX_MONTHLY_PRICE * 100, {
			message: `The price cannot exceed ${MAX_MONTHLY_PRICE.toLocaleString('en')}.`
		})
});

export type OfferingInput = z.output<typeof offeringSchema>;

export type OfferingFormValues = Record<'name' | 'description' | 'monthlyPrice', string>;

/** The raw text of the form, echoed back on errors so nothing typed is lost. */
export function offeringFormValues(form: FormData): OfferingFormValues {
	const text = (key: string) => String(form.get(key) ?? '');
	return {
		name: text('name'),
		description: text('description'),
		monthlyPrice: text('monthlyPrice')
	};
}

export function centsToPriceInput(cents: number): string {
	return (cents / 100).toFixed(2);
}
