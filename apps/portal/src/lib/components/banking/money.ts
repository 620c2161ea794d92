/**
 * Money as the banking API keeps it: integer cents. What people type and read is
 * dollars with two decimals; the conversion works on the digits of the string, so
 * no binary fraction ever stands between "12.10" and 1210.
 */

export type ParsedAmount = { ok: true; cents: number } | { ok: false; message: string };

// "$1,234.56", "1234.5", "-5", ".75": an optional sign and $, grouped or plain dollars, up to two decimals.
const amountPattern = /^([+-]?)\$?\s*((?:\d{1,3}(?:,\d{3})+|\d+)?)(?:\.(\d{1,2}))?$/;

/**
 * Parses dollars into cents. Only the shape is judged here; whether the amount is
 * positive and within the limit is the gateway's call, so its message shows.
 */
export function parseDollars(input: string): ParsedAmount {
	const text = input.trim();
	if (text === '') return { ok: false, message: 'Enter an amount, e.g. 12.50' };
	const match = amountPattern.exec(text);
	const [, sign = '', dollars = '', fraction] = match ?? [];
	if (!match || (dollars === '' && fraction === undefined)) {
		const decimals = /\.(\d+)$/.exec(text)?.[1];
		return {
			ok: false,
			message:
				decimals && decimals.length > 2 && /^\$?[\d,]*\.\d+$/.test(text)
					? 'Amounts have at most two decimals: cents are the smallest unit'
					: 'Enter dollars and cents as digits, e.g. 12.50',
		};
	}
	const cents = BigInt(dollars.replaceAll(',', '') || '0') * 100n + BigInt((fraction ?? '').padEnd(2, '0'));
	// Beyond 2^53 the number is only approximate, but the gateway refuses anything that large anyway.
	return { ok: true, cents: Number(sign === '-' ? -cents : cents) };
}

const dollarGroups = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** 123456 → "$1,234.56"; always two decimals, computed from integers. */
export function formatCents(cents: number): string {
	const sign = cents < 0 ? '−' : '';
	const abs = Math.abs(cents);
	return `${sign}$${dollarGroups.format(Math.floor(abs / 100))}.${String(abs % 100).padStart(2, '0')}`;
}
