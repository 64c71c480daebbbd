/** Event names the default ruleset stages 1 … 7 (docs/design.md §3); index 0 is an event no rule stages. */
export const STAGE_EVENTS = [
  'Help Viewed',
  'Promotion Viewed',
  'Product Viewed',
  'Products Compared',
  'Product Added',
  'Order Completed',
  'Product Used',
  'Product Shared',
] as const;

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
