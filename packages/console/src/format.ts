const count = new Intl.NumberFormat('en-US');

export const formatCount = (n: number): string => count.format(n);

/** A fraction as a percentage with one decimal: 0.4567 → "45.7%". */
export const formatPercent = (fraction: number): string => `${(fraction * 100).toFixed(1)}%`;

/** Seconds in the two largest units, zeros left out: 5400 → "1h 30m", 172800 → "2d", 42 → "42s". */
export function formatDuration(seconds: number): string {
  const units: Array<[string, number]> = [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ];
  let rest = Math.round(seconds);
  const first = units.findIndex(([, size]) => rest >= size);
  if (first === -1) return '0s';
  const parts: string[] = [];
  for (const [name, size] of units.slice(first, first + 2)) {
    const value = Math.floor(rest / size);
    rest -= value * size;
    if (value > 0) parts.push(`${value}${name}`);
  }
  return parts.join(' ');
}

/** An API instant (ISO-8601, UTC) to the minute: "2025-05-01 13:45 UTC". */
export const formatInstant = (iso: string): string => `${iso.slice(0, 16).replace('T', ' ')} UTC`;

/** A money amount with two decimals; currencies are not converted, so none is named. */
export const formatMoney = (amount: number): string =>
  amount.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** A period's first day (YYYY-MM-DD) in the answer's time zone, as the API cut it. */
export const formatPeriodStart = (start: string, timezone: string): string =>
  new Intl.DateTimeFormat('en-CA', {
    timeZone: timezone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(new Date(start));

/** A stage funnel cohort as a reader says it, as every answer repeats it (the API's cohortAnswer). */
interface Cohort {
  readonly from: string;
  readonly to: string;
  readonly fromStage: string;
  readonly filters: Readonly<Record<string, readonly string[]>>;
}

/**
 * "entered from 2026-01-01 to 2026-02-01 (exclusive) at consideration or later, entry touchpoint utm_source
 * newsletter or partner; device mobile": the range's first stage only when it is not discovery.
 */
export function formatCohort(cohort: Cohort): string {
  const filters = Object.entries(cohort.filters)
    .map(([dimension, values]) => `${dimension} ${values.map((v) => (v === '' ? '(none)' : v)).join(' or ')}`)
    .join('; ');
  return [
    `entered from ${cohort.from.slice(0, 10)} to ${cohort.to.slice(0, 10)} (exclusive)`,
    cohort.fromStage === 'discovery' ? '' : ` at ${cohort.fromStage} or later`,
    filters === '' ? '' : `, entry touchpoint ${filters}`,
  ].join('');
}
