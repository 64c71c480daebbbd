import { WIRE_EVENT_TYPES } from '@waymark/events';
import { z } from 'zod';
import { STAGE_NAMES, type StageIndex, StageName, stageIndex } from './stages.ts';

/**
 * A project's stage ruleset (docs/design.md §3): `rules` are tried in order and the first match gives a touchpoint
 * its stage; `complaintRules` are checked independently of the stage and any match marks a complaint.
 *
 * Every object is strict: an unknown key is refused rather than ignored, because a misspelt condition
 * (`pagepath`) that was silently dropped would turn a narrow rule into one that matches everything.
 */

type OneOrMany<T> = T | T[];

/** One value or a non-empty list of them; a single value is read as a list of one. */
function oneOrMany<T extends z.ZodType>(item: T) {
  return z.preprocess(
    (value: OneOrMany<z.input<T>>) => (Array.isArray(value) ? value : [value]),
    z.array(item).min(1),
  );
}

const TouchpointType = z.enum(WIRE_EVENT_TYPES);
const EventName = z.string().min(1);
/** A page path glob: `*` is any run of characters, `/` included; case-insensitive. */
export const PathGlob = z
  .string()
  .min(1)
  .max(1024)
  .refine((glob) => glob.startsWith('/') || glob.startsWith('*'), {
    message: 'a page path glob starts with "/" or "*" (page paths always start with "/")',
  });
const Scalar = z.union([z.string(), z.number(), z.boolean(), z.null()], {
  error: 'expected a string, number, boolean or null',
});

/**
 * A condition on one top-level key of the touchpoint's `properties`. Every operator given must hold.
 * `gte`/`lte` compare numbers and numeric strings ("4"); `eq`/`in` compare exactly (no coercion).
 * `exists: true` means the key is present and not null.
 */
export const PropertyPredicate = z
  .strictObject({
    property: z.string().min(1),
    eq: Scalar.optional(),
    in: z.array(Scalar).min(1).optional(),
    gte: z.number().optional(),
    lte: z.number().optional(),
    exists: z.boolean().optional(),
  })
  .refine(
    (p) =>
      p.eq !== undefined ||
      p.in !== undefined ||
      p.gte !== undefined ||
      p.lte !== undefined ||
      p.exists !== undefined,
    { message: 'a property predicate needs at least one of eq, in, gte, lte, exists' },
  );
export type PropertyPredicate = z.infer<typeof PropertyPredicate>;

type TouchpointType = z.infer<typeof TouchpointType>;

/** The conditions a match may hold; all the ones present must hold. One-or-many fields are lists once parsed. */
export interface Match {
  /** Touchpoint type(s): `track`, `page`, `screen`, `identify`, `group`, `alias`. */
  type?: TouchpointType[];
  /** Exact, case-sensitive event name(s) (Segment spec names such as `Order Completed`). */
  event?: string[];
  /** Page path glob(s), any of which may match: `*` is any run of characters, `/` included; case-insensitive. */
  pagePath?: string[];
  /** `true`: carries a campaign (utm_*, gclid, fbclid, msclkid); `false`: carries none. */
  campaign?: boolean;
  /** `true`: the referrer's host is not the page's host; `false`: no referrer or an internal one. */
  externalReferrer?: boolean;
  /** Predicates on `properties`; all must hold. */
  properties?: PropertyPredicate[];
  /** Every sub-match must hold. */
  all?: Match[];
  /** At least one sub-match must hold. */
  any?: Match[];
}

/** A match as written in JSON: every list may also be a single value. */
export interface MatchInput {
  type?: OneOrMany<TouchpointType>;
  event?: OneOrMany<string>;
  pagePath?: OneOrMany<string>;
  campaign?: boolean;
  externalReferrer?: boolean;
  properties?: OneOrMany<z.input<typeof PropertyPredicate>>;
  all?: MatchInput[];
  any?: MatchInput[];
}

const MATCH_KEYS = [
  'type',
  'event',
  'pagePath',
  'campaign',
  'externalReferrer',
  'properties',
  'all',
  'any',
] as const;

export const Match: z.ZodType<Match, MatchInput> = z
  .strictObject({
    type: oneOrMany(TouchpointType).optional(),
    event: oneOrMany(EventName).optional(),
    pagePath: oneOrMany(PathGlob).optional(),
    campaign: z.boolean().optional(),
    externalReferrer: z.boolean().optional(),
    properties: oneOrMany(PropertyPredicate).optional(),
    get all() {
      return z.array(Match).min(1).optional();
    },
    get any() {
      return z.array(Match).min(1).optional();
    },
  })
  .refine((match) => MATCH_KEYS.some((key) => match[key] !== undefined), {
    message: `a match needs at least one of ${MATCH_KEYS.join(', ')} (an empty match would match every touchpoint)`,
  });

/** A stage as its index (1–7) or its name; parsed to the index. */
export const StageRef = z
  .union([z.int().min(1).max(STAGE_NAMES.length), StageName], {
    error: `expected a stage index 1–${STAGE_NAMES.length} or one of ${STAGE_NAMES.join(', ')}`,
  })
  .transform((stage): StageIndex => (typeof stage === 'number' ? (stage as StageIndex) : stageIndex(stage)));

export const StageRule = z.strictObject({
  stage: StageRef,
  match: Match,
  description: z.string().optional(),
});
export type StageRule = z.infer<typeof StageRule>;

export const ComplaintRule = z.strictObject({
  match: Match,
  description: z.string().optional(),
});
export type ComplaintRule = z.infer<typeof ComplaintRule>;

export const StageRuleset = z.strictObject({
  version: z.int().min(1),
  rules: z.array(StageRule),
  complaintRules: z.array(ComplaintRule).default([]),
});
/** A validated ruleset: stages are indexes, one-or-many fields are lists, `complaintRules` is present. */
export type StageRuleset = z.output<typeof StageRuleset>;
/** A ruleset as written in JSON. */
export type StageRulesetInput = z.input<typeof StageRuleset>;

export interface StageRulesetIssue {
  /** Where the problem is, e.g. `rules[3].match.pagePath[0]`; empty for the ruleset itself. */
  readonly path: string;
  readonly message: string;
}

export type StageRulesetResult =
  | { readonly ok: true; readonly value: StageRuleset }
  | {
      readonly ok: false;
      readonly code: 'invalid_stage_ruleset';
      /** Every issue on one line, for a CLI or an HTTP problem `detail`. */
      readonly reason: string;
      readonly issues: readonly StageRulesetIssue[];
    };

/** Deeper than any sensible ruleset, shallow enough that validating and compiling cannot exhaust the stack. */
const MAX_NESTING = 32;

export function parseStageRuleset(input: unknown): StageRulesetResult {
  if (nestingExceeds(input, MAX_NESTING)) {
    return refuse([{ path: '', message: `the ruleset nests deeper than ${MAX_NESTING} levels` }]);
  }
  const result = StageRuleset.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  return refuse(
    result.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message })),
  );
}

function refuse(issues: readonly StageRulesetIssue[]): StageRulesetResult {
  return {
    ok: false,
    code: 'invalid_stage_ruleset',
    reason: issues
      .map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message))
      .join('; '),
    issues,
  };
}

/** `['rules', 3, 'match', 'pagePath']` → `rules[3].match.pagePath`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

function nestingExceeds(root: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[root, 0]];
  for (let entry = stack.pop(); entry !== undefined; entry = stack.pop()) {
    const [value, depth] = entry;
    if (value === null || typeof value !== 'object') continue;
    if (depth >= max) return true;
    for (const child of Array.isArray(value) ? value : Object.values(value)) stack.push([child, depth + 1]);
  }
  return false;
}
