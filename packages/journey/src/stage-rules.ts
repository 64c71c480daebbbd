import type { Touchpoint } from '@waymark/events';
import { WIRE_EVENT_TYPES } from '@waymark/events';
import type { Match, PropertyPredicate, StageRuleset } from './stage-ruleset.ts';
import { NO_STAGE, type StageIndex, type StageOrNone } from './stages.ts';

/** What a ruleset says about one touchpoint: its stage (0 = none) and whether it is a complaint signal. */
export interface TouchpointStage {
  readonly stage: StageOrNone;
  readonly complaint: boolean;
}

type Test = (touchpoint: Touchpoint) => boolean;

interface CompiledRule {
  /** `null` when the dispatch on type and event name already proves the match. */
  readonly test: Test | null;
  readonly result: TouchpointStage;
  readonly resultWithComplaint: TouchpointStage;
}

/** The rules that can still match once a touchpoint's type and event name are known, in ruleset order. */
interface Candidates {
  readonly stageRules: readonly CompiledRule[];
  readonly complaintRules: readonly CompiledRule[];
}

interface TypeTable {
  readonly byEvent: ReadonlyMap<string, Candidates>;
  /** For an event name no rule names (and for page views, which have none). */
  readonly otherEvents: Candidates;
}

interface DispatchTables {
  readonly byType: ReadonlyMap<string, TypeTable>;
  readonly unknownType: TypeTable;
}

const dispatch: unique symbol = Symbol('stage rule dispatch tables');

export interface CompiledRuleset {
  readonly version: number;
  readonly ruleset: StageRuleset;
  readonly [dispatch]: DispatchTables;
}

const RESULTS: readonly (readonly [TouchpointStage, TouchpointStage])[] = Array.from(
  { length: 8 },
  (_, stage) => [
    Object.freeze({ stage: stage as StageOrNone, complaint: false }),
    Object.freeze({ stage: stage as StageOrNone, complaint: true }),
  ],
);
const NOTHING = Object.freeze({ stage: NO_STAGE, complaint: false }) satisfies TouchpointStage;
const ONLY_COMPLAINT = Object.freeze({ stage: NO_STAGE, complaint: true }) satisfies TouchpointStage;

/**
 * Prepares a validated ruleset for {@link classifyTouchpoint}. Rules are indexed by touchpoint type and
 * event name, so a touchpoint is only tried against the rules that could match it (keeping their order),
 * and the type and event conditions at the top of a match are settled by that lookup, not re-tested.
 */
export function compileRuleset(ruleset: StageRuleset): CompiledRuleset {
  const stageRules = ruleset.rules.map((rule) => shapeOf(rule.match, rule.stage));
  const complaintRules = ruleset.complaintRules.map((rule) => shapeOf(rule.match, NO_STAGE));
  const byType = new Map<string, TypeTable>(
    WIRE_EVENT_TYPES.map((type) => [type, typeTable(stageRules, complaintRules, type)]),
  );
  return {
    version: ruleset.version,
    ruleset,
    [dispatch]: { byType, unknownType: typeTable(stageRules, complaintRules, null) },
  };
}

/**
 * The touchpoint's stage (the first stage rule that matches; 0 when none does) and whether any complaint
 * rule matches. Never throws, whatever the fields hold: unparseable `properties` count as no properties.
 */
export function classifyTouchpoint(compiled: CompiledRuleset, touchpoint: Touchpoint): TouchpointStage {
  if (touchpoint === null || typeof touchpoint !== 'object') return NOTHING;
  const tables = compiled[dispatch];
  const table = tables.byType.get(touchpoint.type) ?? tables.unknownType;
  const event = touchpoint.event;
  const candidates = (typeof event === 'string' ? table.byEvent.get(event) : undefined) ?? table.otherEvents;

  let complaint = false;
  for (const rule of candidates.complaintRules) {
    if (rule.test === null || rule.test(touchpoint)) {
      complaint = true;
      break;
    }
  }
  for (const rule of candidates.stageRules) {
    if (rule.test === null || rule.test(touchpoint)) {
      return complaint ? rule.resultWithComplaint : rule.result;
    }
  }
  return complaint ? ONLY_COMPLAINT : NOTHING;
}

// ---------------------------------------------------------------------------------------------------------
// Compilation

interface RuleShape {
  readonly types: ReadonlySet<string> | null;
  readonly events: ReadonlySet<string> | null;
  readonly rule: CompiledRule;
}

function shapeOf(match: Match, stage: StageIndex | typeof NO_STAGE): RuleShape {
  const [result, resultWithComplaint] = RESULTS[stage] ?? [NOTHING, ONLY_COMPLAINT];
  return {
    types: match.type ? new Set(match.type) : null,
    events: match.event ? new Set(match.event) : null,
    rule: { test: compileConditions(match, false), result, resultWithComplaint },
  };
}

function typeTable(
  stageRules: readonly RuleShape[],
  complaintRules: readonly RuleShape[],
  type: string | null,
): TypeTable {
  const forType = (rules: readonly RuleShape[]) =>
    rules.filter((shape) => shape.types === null || (type !== null && shape.types.has(type)));
  const stage = forType(stageRules);
  const complaint = forType(complaintRules);
  const candidates = (event: string | null): Candidates => {
    const pick = (rules: readonly RuleShape[]) =>
      rules
        .filter((shape) => shape.events === null || (event !== null && shape.events.has(event)))
        .map((shape) => shape.rule);
    return { stageRules: pick(stage), complaintRules: pick(complaint) };
  };
  const names = new Set([...stage, ...complaint].flatMap((shape) => [...(shape.events ?? [])]));
  return {
    byEvent: new Map([...names].map((name) => [name, candidates(name)])),
    otherEvents: candidates(null),
  };
}

/**
 * All of a match's conditions as one test, cheapest first so that `properties` (the only condition that
 * parses JSON) runs last. `withDispatch: false` leaves out the top-level type and event conditions, which
 * the dispatch tables settle; `null` means nothing is left to test.
 */
function compileConditions(match: Match, withDispatch: boolean): Test | null {
  const tests: Test[] = [];
  if (withDispatch && match.type) tests.push(oneOf(match.type, (touchpoint) => touchpoint.type));
  if (withDispatch && match.event) tests.push(oneOf(match.event, (touchpoint) => touchpoint.event));
  if (match.campaign !== undefined) tests.push(match.campaign ? hasCampaign : (t) => !hasCampaign(t));
  if (match.externalReferrer !== undefined) {
    tests.push(match.externalReferrer ? hasExternalReferrer : (t) => !hasExternalReferrer(t));
  }
  if (match.pagePath) tests.push(pagePathTest(match.pagePath));
  if (match.all) tests.push(allOf(match.all.map(compileMatch)) ?? always);
  if (match.any) tests.push(anyOf(match.any.map(compileMatch)));
  for (const predicate of match.properties ?? []) tests.push(propertyTest(predicate));
  return allOf(tests);
}

function compileMatch(match: Match): Test {
  return compileConditions(match, true) ?? always;
}

const always: Test = () => true;

function allOf(tests: readonly Test[]): Test | null {
  const [first, second] = tests;
  if (first === undefined) return null;
  if (second === undefined) return first;
  if (tests.length === 2) return (touchpoint) => first(touchpoint) && second(touchpoint);
  return (touchpoint) => {
    for (const test of tests) if (!test(touchpoint)) return false;
    return true;
  };
}

function anyOf(tests: readonly Test[]): Test {
  const [first, second] = tests;
  if (first === undefined) return () => false;
  if (second === undefined) return first;
  return (touchpoint) => {
    for (const test of tests) if (test(touchpoint)) return true;
    return false;
  };
}

function oneOf(values: readonly string[], read: (touchpoint: Touchpoint) => unknown): Test {
  const [only] = values;
  if (values.length === 1) return (touchpoint) => read(touchpoint) === only;
  const set = new Set<unknown>(values);
  return (touchpoint) => set.has(read(touchpoint));
}

// ---------------------------------------------------------------------------------------------------------
// Page paths

type PathMatcher = (path: string) => boolean;

/**
 * `*` matches any run of characters, `/` included; everything else is literal; the whole path must match;
 * letters match case-insensitively. Matching splits the glob at its stars and finds the pieces with
 * `startsWith`/`indexOf`/`endsWith` (leftmost match is exact for star-only globs), so a hostile glob
 * cannot make matching backtrack the way a RegExp built from it could.
 */
export function compileGlob(glob: string): PathMatcher {
  const pieces = glob.toLowerCase().split('*');
  const prefix = pieces[0] ?? '';
  if (pieces.length === 1) return (path) => path === prefix;
  const suffix = pieces[pieces.length - 1] ?? '';
  const middles = pieces.slice(1, -1).filter((piece) => piece !== '');
  const minLength = prefix.length + suffix.length + middles.reduce((sum, piece) => sum + piece.length, 0);
  if (middles.length === 0 && suffix === '') {
    return (path) => path.startsWith(prefix);
  }
  return (path) => {
    if (path.length < minLength || !path.startsWith(prefix) || !path.endsWith(suffix)) return false;
    const end = path.length - suffix.length;
    let from = prefix.length;
    for (const piece of middles) {
      const at = path.indexOf(piece, from);
      if (at < 0 || at + piece.length > end) return false;
      from = at + piece.length;
    }
    return true;
  };
}

function pagePathTest(globs: readonly string[]): Test {
  const matchers = globs.map(compileGlob);
  return (touchpoint) => {
    const path = pagePathOf(touchpoint);
    if (path === null) return false;
    for (const matches of matchers) if (matches(path)) return true;
    return false;
  };
}

// One-entry memo: several path rules test the same touchpoint in a row, so lower-case its path once.
let lastRawPath = '';
let lastPath = '';

/** `pagePath`, else the path of `pageUrl`, lower-cased; `null` when the touchpoint has neither. */
function pagePathOf(touchpoint: Touchpoint): string | null {
  const pagePath = touchpoint.pagePath;
  const raw = typeof pagePath === 'string' && pagePath !== '' ? pagePath : pathOfUrl(touchpoint.pageUrl);
  if (raw === null) return null;
  if (raw !== lastRawPath) {
    lastPath = raw.toLowerCase();
    lastRawPath = raw;
  }
  return lastPath;
}

const URL_PATH = /^(?:[a-z][a-z0-9+.-]*:)?\/\/[^/?#]*([^?#]*)/i;

function pathOfUrl(url: unknown): string | null {
  if (typeof url !== 'string') return null;
  const parts = URL_PATH.exec(url);
  if (parts === null) return null;
  return parts[1] || '/';
}

// ---------------------------------------------------------------------------------------------------------
// Campaign and referrer

const CAMPAIGN_PARAMETER = /(?:^|[?&])(?:utm_[a-z_]+|gclid|fbclid|msclkid)=/i;

function nonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

/**
 * The collector fills the campaign fields from `context.campaign` and `clickId` from the URL; the query
 * string is read too, for senders (server-side libraries) whose URL carries the parameters unparsed.
 */
function hasCampaign(touchpoint: Touchpoint): boolean {
  if (
    nonEmpty(touchpoint.campaignSource) ||
    nonEmpty(touchpoint.campaignMedium) ||
    nonEmpty(touchpoint.campaignName) ||
    nonEmpty(touchpoint.campaignTerm) ||
    nonEmpty(touchpoint.campaignContent) ||
    nonEmpty(touchpoint.clickId)
  ) {
    return true;
  }
  const search = nonEmpty(touchpoint.pageSearch) ? touchpoint.pageSearch : touchpoint.pageUrl;
  return nonEmpty(search) && search.includes('=') && CAMPAIGN_PARAMETER.test(search);
}

/**
 * A referrer from another host. `www.`, the port and letter case are ignored; other subdomains count as
 * other hosts. When the page's own URL is unknown, any referrer with a host counts: losing a customer's
 * entry into the funnel costs more than staging one internal page view as discovery.
 */
function hasExternalReferrer(touchpoint: Touchpoint): boolean {
  const referrer = touchpoint.pageReferrer;
  const referrerHost = hostSpan(referrer);
  if (referrerHost === NO_HOST) return false;
  const page = touchpoint.pageUrl;
  const pageHost = hostSpan(page);
  return pageHost === NO_HOST || !sameHost(referrer as string, referrerHost, page as string, pageHost);
}

// Hosts are located, not copied: a span packs [start, end) into one number, so comparing the page's and the
// referrer's host allocates nothing (this runs for every page view that reaches the discovery rule).
const NO_HOST = -1;
const SPAN = 2 ** 26;

/** Where the host of an absolute (`scheme://`) or protocol-relative (`//`) URL is, or `NO_HOST`. */
export function hostSpan(url: unknown): number {
  if (typeof url !== 'string' || url.length >= SPAN) return NO_HOST;
  const slashes = url.indexOf('//');
  if (slashes < 0 || !isSchemePrefix(url, slashes)) return NO_HOST;
  let start = slashes + 2;
  let end = start;
  let colon = -1;
  for (; end < url.length; end++) {
    const code = url.charCodeAt(end);
    if (code === 0x2f || code === 0x3f || code === 0x23) break; // / ? #
    if (code === 0x40) {
      start = end + 1; // userinfo@
      colon = -1;
    } else if (code === 0x3a) colon = end;
    else if (code === 0x5d) colon = -1; // the colons of an IPv6 literal are not a port
  }
  if (colon >= 0) end = colon;
  if (end > start && url.charCodeAt(end - 1) === 0x2e) end--; // trailing dot
  if (end - start > 4 && isWwwDot(url, start)) start += 4;
  return end > start ? start * SPAN + end : NO_HOST;
}

/** `scheme:` (letters, digits, `+`, `-`, `.`, starting with a letter) or nothing stands before the `//`. */
function isSchemePrefix(url: string, slashes: number): boolean {
  if (slashes === 0) return true;
  if (url.charCodeAt(slashes - 1) !== 0x3a || slashes < 2) return false;
  for (let i = 0; i < slashes - 1; i++) {
    const code = url.charCodeAt(i) | 0x20;
    const letter = code >= 0x61 && code <= 0x7a;
    if (
      !letter &&
      (i === 0 || !((code >= 0x30 && code <= 0x39) || code === 0x2b || code === 0x2d || code === 0x2e))
    ) {
      return false;
    }
  }
  return true;
}

function isWwwDot(url: string, at: number): boolean {
  return (
    (url.charCodeAt(at) | 0x20) === 0x77 &&
    (url.charCodeAt(at + 1) | 0x20) === 0x77 &&
    (url.charCodeAt(at + 2) | 0x20) === 0x77 &&
    url.charCodeAt(at + 3) === 0x2e
  );
}

function sameHost(a: string, aSpan: number, b: string, bSpan: number): boolean {
  const aStart = Math.floor(aSpan / SPAN);
  const bStart = Math.floor(bSpan / SPAN);
  const length = (aSpan % SPAN) - aStart;
  if (length !== (bSpan % SPAN) - bStart) return false;
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(aStart + i);
    const y = b.charCodeAt(bStart + i);
    if (x !== y && !(isAsciiLetter(x) && (x | 0x20) === (y | 0x20))) return false;
  }
  return true;
}

function isAsciiLetter(code: number): boolean {
  const lower = code | 0x20;
  return lower >= 0x61 && lower <= 0x7a;
}

// ---------------------------------------------------------------------------------------------------------
// Properties

type Properties = Readonly<Record<string, unknown>>;

// One-entry memo keyed by the JSON text itself: a touchpoint's properties are parsed at most once however
// many predicates read them, and a string equal to the last one can only parse to the same object.
let lastPropertiesSource: string | undefined;
let lastProperties: Properties | null = null;

function propertiesOf(touchpoint: Touchpoint): Properties | null {
  const source = touchpoint.properties;
  if (typeof source !== 'string') return null;
  if (source !== lastPropertiesSource) {
    lastProperties = parseProperties(source);
    lastPropertiesSource = source;
  }
  return lastProperties;
}

function parseProperties(source: string): Properties | null {
  try {
    const value: unknown = JSON.parse(source);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Properties)
      : null;
  } catch {
    return null;
  }
}

const NUMERIC = /^\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?\s*$/i;

/** A number, or a string that spells one in decimal ("4", "4.5", "-1e3"); otherwise `null`. */
function numberOf(value: unknown): number | null {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && NUMERIC.test(value)) return Number(value);
  return null;
}

type ValueCheck = (value: unknown) => boolean;

function propertyTest(predicate: PropertyPredicate): Test {
  const checks: ValueCheck[] = [];
  const { eq, in: values, gte, lte, exists } = predicate;
  if (exists !== undefined) checks.push(exists ? (v) => v !== undefined && v !== null : (v) => v == null);
  if (eq !== undefined) checks.push((v) => v === eq);
  if (values !== undefined) {
    const set = new Set<unknown>(values);
    checks.push((v) => set.has(v));
  }
  if (gte !== undefined) checks.push((v) => (numberOf(v) ?? Number.NaN) >= gte);
  if (lte !== undefined) checks.push((v) => (numberOf(v) ?? Number.NaN) <= lte);

  const key = predicate.property;
  const propertyValue = (touchpoint: Touchpoint): unknown => {
    const properties = propertiesOf(touchpoint);
    return properties !== null && Object.hasOwn(properties, key) ? properties[key] : undefined;
  };
  const [only] = checks;
  if (only !== undefined && checks.length === 1) return (touchpoint) => only(propertyValue(touchpoint));
  return (touchpoint) => {
    const value = propertyValue(touchpoint);
    for (const check of checks) if (!check(value)) return false;
    return true;
  };
}
