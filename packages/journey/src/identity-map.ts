/**
 * One row of the identity map: `aliasKey` (`a:<anonymousId>` or `u:<userId>`) belongs to `customerKey`
 * (`u:<userId>`; the alias itself for a key that became its customer's root again).
 */
export interface IdentityLink {
  readonly projectId: string;
  readonly aliasKey: string;
  readonly customerKey: string;
  /** Epoch milliseconds; when an alias is relinked the latest link wins. */
  readonly linkedAt: number;
  /** The identify/alias touchpoint that made the link. */
  readonly messageId: string;
}

/*
 * The identity map is kept flat so that every query resolves a raw key with one lookup (the latest row of
 * the alias, no recursion): an alias's customer is always a root, a key without a row or with a row to
 * itself. Links are path-compressed when they are written (PostHog keeps its person-override table flat
 * the same way), one at a time in the order they arrive:
 * - the link's target is resolved to its root and the alias is linked to that root;
 * - every key that belonged to the alias is re-pointed to that root, because the alias is no root any
 *   more: `a:x → u:A` and `u:A → u:B` leave `a:x → u:B`, whichever of the two arrives first;
 * - a link not newer than the alias's current row changes nothing: per alias the latest link wins, as
 *   before, and a redelivered or replayed link writes nothing;
 * - a link whose target already belongs to the alias (`u:B → u:A` after `u:A → u:B`) would close a cycle:
 *   the newer of the two decides which key the customer goes by, so the target becomes the root (a row
 *   to itself) and the alias moves under it with everything that belonged to it; an older one changes
 *   nothing. The map never holds a cycle, so resolution always ends.
 * A relinked key moves alone: what was compressed onto its old customer through it stays there.
 *
 * Times: a row that replaces a row to another customer gets max(link time, replaced row's + 1 ms). It is
 * strictly newer than the row it replaces, so argMax(customer_key, linked_at) and
 * ReplacingMergeTree(linked_at) both pick it even before merges; and a re-pointed key keeps its own time
 * (+1 ms) rather than the time of the link that moved it, so a later link of that key's own (an anonymous
 * id identifying as someone else) still wins over it.
 *
 * Stored rows that already form chains or cycles (two processor members that linked the same customer at
 * the same time without seeing each other's rows, or links written before the map was kept flat) are
 * flattened first; a cycle's newest row decides its root, as if the links had been written one by one.
 */

interface MapEntry {
  readonly customerKey: string;
  readonly linkedAt: number;
  readonly messageId: string;
}

/** One project's map: what is stored, and what it becomes as links are applied. */
class ProjectIdentityMap {
  readonly #stored: ReadonlyMap<string, MapEntry>;
  readonly #current: Map<string, MapEntry>;

  constructor(stored: ReadonlyMap<string, MapEntry>) {
    this.#stored = stored;
    this.#current = new Map(stored);
  }

  #customerOf(key: string): string {
    return this.#current.get(key)?.customerKey ?? key;
  }

  /** `key` and the keys its rows lead to: up to its root, or (a cycle) up to the last key before a repeat. */
  #path(key: string): string[] {
    const path = [key];
    for (let next = this.#customerOf(key); !path.includes(next); next = this.#customerOf(next)) {
      path.push(next);
    }
    return path;
  }

  #rootOf(key: string): string {
    return this.#path(key).at(-1) ?? key;
  }

  /**
   * Points `key` at `customerKey` from `linkedAt` on; a row that replaces one of another customer is at
   * least 1 ms newer than it, so it wins over it in every read, before merges too.
   */
  #set(key: string, customerKey: string, linkedAt: number, messageId: string): void {
    const current = this.#current.get(key);
    if (current === undefined) {
      this.#current.set(key, { customerKey, linkedAt, messageId });
    } else if (current.customerKey !== customerKey) {
      const newer = Math.max(linkedAt, current.linkedAt + 1);
      this.#current.set(key, { customerKey, linkedAt: newer, messageId });
    } else if (current.linkedAt < linkedAt) {
      this.#current.set(key, { customerKey, linkedAt, messageId });
    }
  }

  /** Flattens chains and breaks cycles among the stored rows. */
  repair(): void {
    for (const key of this.#current.keys()) {
      const path = this.#path(key);
      const last = path.at(-1) ?? key;
      const next = this.#customerOf(last);
      if (next === last) continue;
      const cycle = path.slice(path.indexOf(next)).flatMap((member) => {
        const entry = this.#current.get(member);
        return entry === undefined ? [] : [{ member, ...entry }];
      });
      // Equal times are ordered by key, so every processor member picks the same root.
      const newest = cycle.reduce((a, b) =>
        b.linkedAt > a.linkedAt || (b.linkedAt === a.linkedAt && b.member > a.member) ? b : a,
      );
      this.#set(newest.customerKey, newest.customerKey, newest.linkedAt, newest.messageId);
    }
    for (const [key, entry] of this.#current) {
      const root = this.#rootOf(key);
      if (entry.customerKey !== root) {
        const via = this.#current.get(entry.customerKey) ?? entry;
        this.#set(key, root, entry.linkedAt, via.messageId);
      }
    }
  }

  link(link: IdentityLink): void {
    const { aliasKey, customerKey: target, linkedAt, messageId } = link;
    const own = this.#current.get(aliasKey);
    if (aliasKey === target || (own !== undefined && own.linkedAt >= linkedAt)) return;
    let root = this.#rootOf(target);
    const reversed = this.#current.get(target);
    if (reversed?.customerKey === aliasKey && reversed.linkedAt < linkedAt) {
      this.#set(target, target, linkedAt, messageId);
      root = target;
    }
    // When the target belongs to the alias by a newer link, the alias stays the root: its row to itself
    // records that this link was applied, so a replay of it changes nothing later.
    this.#set(aliasKey, root, linkedAt, messageId);
    for (const [key, entry] of this.#current) {
      if (entry.customerKey === aliasKey && key !== aliasKey) this.#set(key, root, entry.linkedAt, messageId);
    }
  }

  /** The rows to insert: every key whose row differs from the stored one. */
  changedRows(projectId: string): IdentityLink[] {
    const rows: IdentityLink[] = [];
    for (const [aliasKey, entry] of this.#current) {
      const stored = this.#stored.get(aliasKey);
      if (stored?.customerKey !== entry.customerKey || stored.linkedAt !== entry.linkedAt) {
        rows.push({ projectId, aliasKey, ...entry });
      }
    }
    return rows;
  }
}

/**
 * The rows to insert into the identity map so that, with `stored`, it stays flat and holds `links`
 * (in their order). `stored` is the latest row of every alias the links involve: the links' aliases and
 * targets, and the aliases that belong to the links' aliases. Without links it only repairs `stored`.
 */
export function resolveIdentityLinks(
  stored: readonly IdentityLink[],
  links: readonly IdentityLink[],
): IdentityLink[] {
  const storedByProject = new Map<string, Map<string, MapEntry>>();
  for (const { projectId, aliasKey, ...entry } of stored) {
    let project = storedByProject.get(projectId);
    if (project === undefined) {
      project = new Map();
      storedByProject.set(projectId, project);
    }
    project.set(aliasKey, entry);
  }
  const maps = new Map<string, ProjectIdentityMap>();
  const mapOf = (projectId: string) => {
    let map = maps.get(projectId);
    if (map === undefined) {
      map = new ProjectIdentityMap(storedByProject.get(projectId) ?? new Map());
      map.repair();
      maps.set(projectId, map);
    }
    return map;
  };
  for (const projectId of storedByProject.keys()) mapOf(projectId);
  for (const link of links) mapOf(link.projectId).link(link);
  return [...maps].flatMap(([projectId, map]) => map.changedRows(projectId));
}

/** Which stored rows {@link resolveIdentityLinks} needs for some links (and what they wrote). */
export interface IdentityLookup {
  readonly projectIds: readonly string[];
  /** The latest row of each of these keys (in any of the projects)… */
  readonly aliasKeys: readonly string[];
  /** …and the latest row of every alias that has had a row to one of these. */
  readonly customerKeys: readonly string[];
}

/**
 * The links' aliases and targets (to find their roots) and whatever belongs to their aliases (to re-point
 * it). Over several projects it asks for every key in every project: the few extra rows change nothing.
 */
export function identityLookupOf(links: readonly IdentityLink[]): IdentityLookup {
  const projectIds = new Set<string>();
  const aliasKeys = new Set<string>();
  const customerKeys = new Set<string>();
  for (const link of links) {
    projectIds.add(link.projectId);
    aliasKeys.add(link.aliasKey).add(link.customerKey);
    customerKeys.add(link.aliasKey);
  }
  return { projectIds: [...projectIds], aliasKeys: [...aliasKeys], customerKeys: [...customerKeys] };
}
