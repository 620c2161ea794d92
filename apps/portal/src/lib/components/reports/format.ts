/**
 * Numbers and times as the report pages show them. Money is integer cents; times
 * are ISO instants, shown in UTC by the server and in the reader's zone once the
 * page runs in a browser (`zone` undefined = this runtime's zone).
 */

const whole = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });

export const formatCount = (n: number): string => whole.format(n);

/** 123456 → "$1,234.56", computed from integers. */
export function formatCents(cents: number): string {
	const sign = cents < 0 ? '−' : '';
	const abs = Math.abs(Math.round(cents));
	return `${sign}$${whole.format(Math.floor(abs / 100))}.${String(abs % 100).padStart(2, '0')}`;
}

/** Short money for axes and tight cells: "$12.3K". */
export const formatCentsShort = (cents: number): string => `$${compact.format(cents / 100)}`;

/** "14:00" for the hour starting at `iso`. */
export function hourLabel(iso: string, zone?: string): string {
	return new Date(iso).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', hour12: false, ...(zone ? { timeZone: zone } : {}) });
}

/** "Mar 1, 14:05:09". */
export function instantLabel(iso: string, zone?: string): string {
	return new Date(iso).toLocaleString('en-US', {
		month: 'short',
		day: 'numeric',
		hour: '2-digit',
		minute: '2-digit',
		second: '2-digit',
		hour12: false,
		...(zone ? { timeZone: zone } : {}),
	});
}

/** "4 min 5 s", "42 s". */
export function durationLabel(seconds: number): string {
	if (seconds < 60) return `${seconds} s`;
	const minutes = Math.floor(seconds / 60);
	const rest = seconds % 60;
	if (minutes < 60) return rest ? `${minutes} min ${rest} s` : `${minutes} min`;
	return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/**
 * Round steps for a chart's value axis: 0 and up to `count` gridlines at 1, 2 or
 * 5 × 10ⁿ, the last at or above `max`.
 */
export function niceTicks(max: number, count = 4): number[] {
	if (max <= 0) return [0, 1];
	const rough = max / count;
	const power = 10 ** Math.floor(Math.log10(rough));
	const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
	const ticks: number[] = [];
	for (let t = 0; t < max + step; t += step) {
		ticks.push(t);
		if (t >= max) break;
	}
	return ticks;
}
