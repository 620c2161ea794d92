/**
 * The banking API's field errors, keyed by its field paths (`amountCents`,
 * `to.bank`), placed on a form's own fields. An error on a field the form does
 * not have stays a line of text, so nothing the gateway says is lost.
 */

export type FieldErrors = Record<string, string[]>;

/** Splits the API's errors into the form's fields (`formField`: API path → form field) and the rest. */
export function toFormErrors(errors: FieldErrors, formField: Record<string, string>): { fields: FieldErrors; rest: string[] } {
	const fields: FieldErrors = {};
	const rest: string[] = [];
	for (const [name, messages] of Object.entries(errors)) {
		const field = formField[name];
		// The form asks for dollars; cents in a message would only puzzle.
		if (field) fields[field] = [...(fields[field] ?? []), ...messages.map(inDollars)];
		else rest.push(...messages.map((message) => `${name}: ${message}`));
	}
	return { fields, rest };
}

/** "amountCents may be at most 10000000000 ($100,000,000.00)" → "The amount may be at most $100,000,000.00". */
export function inDollars(message: string): string {
	return message.replace(/^amountCents\b/, 'The amount').replace(/\b\d+ \((\$[\d,.]+)\)/, '$1');
}
