import { ClickHouseStorageError } from './errors.ts';

/*
 * How every query of this package is composed (docs/decisions/0021-sql-builder-and-project-documents.md):
 * - A value of the request only ever enters a query as a parameter bound by {@link QueryParams}: `bind`
 *   allocates a placeholder no other part of the query can have (`{p3:String}`); `named` keeps a readable
 *   name for the few query-wide values (project, time bounds) and refuses a second, different value for it.
 * - A CTE is a value: its name, its body and the CTEs it reads. Composing a query collects the CTEs its parts
 *   need, dependencies first; a CTE two parts need is written once, and two different CTEs of one name are
 *   an error rather than a query that silently reads the wrong one.
 * - The finished query's placeholders and its parameters must match one to one.
 */

/** A ClickHouse type as written in a placeholder: `String`, `Int64`, `Array(String)`… */
export type ParamType = string;

/** The name `bind` allocates from; a `named` parameter may not look like one. */
const ALLOCATED = /^p\d+$/;
const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*):([^{}]+)\}/g;

/** The parameters of one query, and the placeholders that stand for them in its text. */
export class QueryParams {
  readonly values: Record<string, unknown> = {};
  readonly #types = new Map<string, ParamType>();
  #next = 0;

  /** A fresh placeholder bound to `value`. */
  bind(value: unknown, type: ParamType): string {
    const name = `p${this.#next++}`;
    this.#set(name, value, type);
    return `{${name}:${type}}`;
  }

  /** The placeholder `{name:type}`; binding one name to two different values or types is an error. */
  named(name: string, value: unknown, type: ParamType): string {
    if (ALLOCATED.test(name)) {
      throw new ClickHouseStorageError(
        'CLICKHOUSE_SQL_CONFLICT',
        `parameter name ${name} is reserved for bind()`,
      );
    }
    const known = this.#types.get(name);
    if (known !== undefined) {
      if (known !== type || !sameValue(this.values[name], value)) {
        throw new ClickHouseStorageError(
          'CLICKHOUSE_SQL_CONFLICT',
          `parameter ${name} is bound twice: as ${known} ${JSON.stringify(this.values[name])} and as ${type} ${JSON.stringify(value)}`,
        );
      }
      return `{${name}:${type}}`;
    }
    this.#set(name, value, type);
    return `{${name}:${type}}`;
  }

  /** The type each parameter was bound with. */
  typeOf(name: string): ParamType | undefined {
    return this.#types.get(name);
  }

  #set(name: string, value: unknown, type: ParamType): void {
    this.#types.set(name, type);
    this.values[name] = value;
  }
}

const sameValue = (a: unknown, b: unknown) => a === b || JSON.stringify(a) === JSON.stringify(b);

/** SQL text written with a query's parameters. */
export type SqlText = (params: QueryParams) => string;

/** A named CTE: `name AS (body)`, reading the CTEs in `uses` (and tables). */
export interface Cte {
  readonly name: string;
  readonly body: SqlText;
  readonly uses: readonly Cte[];
}

export function cte(name: string, body: SqlText, uses: readonly Cte[] = []): Cte {
  return { name, body, uses };
}

/*
 * Two CTE values are the same CTE when their bodies read the same text with the same parameter values:
 * the body is rendered with throwaway parameters and compared with the placeholders replaced by the values.
 */
function identity(part: Cte): string {
  const params = new QueryParams();
  const text = part.body(params);
  return text.replace(PLACEHOLDER, (_, name: string, type: string) =>
    ALLOCATED.test(name)
      ? `{?:${type}=${JSON.stringify(params.values[name])}}`
      : `{${name}:${type}=${JSON.stringify(params.values[name])}}`,
  );
}

/** The CTEs `roots` need, each once, every one after those it uses. */
export function collectCtes(roots: readonly Cte[]): Cte[] {
  const ordered: Cte[] = [];
  const byName = new Map<string, { cte: Cte; identity?: string }>();
  const visiting = new Set<Cte>();
  const visit = (part: Cte) => {
    const seen = byName.get(part.name);
    if (seen !== undefined) {
      if (seen.cte === part) return;
      seen.identity ??= identity(seen.cte);
      if (seen.identity !== identity(part)) {
        throw new ClickHouseStorageError(
          'CLICKHOUSE_SQL_CONFLICT',
          `two different CTEs are named ${part.name}`,
        );
      }
      return;
    }
    if (visiting.has(part)) {
      throw new ClickHouseStorageError('CLICKHOUSE_SQL_CONFLICT', `CTE ${part.name} uses itself`);
    }
    visiting.add(part);
    for (const used of part.uses) visit(used);
    visiting.delete(part);
    byName.set(part.name, { cte: part });
    ordered.push(part);
  };
  for (const root of roots) visit(root);
  return ordered;
}

export interface BuiltQuery {
  readonly sql: string;
  readonly params: Record<string, unknown>;
}

/**
 * `WITH <the CTEs>, in dependency order> <select>`. `select` is written after the CTEs, with the same
 * parameters; pass `params` to bind some before (their placeholders may then sit anywhere in the text).
 */
export function buildQuery(
  ctes: readonly Cte[],
  select: SqlText,
  params: QueryParams = new QueryParams(),
): BuiltQuery {
  const parts = collectCtes(ctes).map((part) => `${part.name} AS (${part.body(params)})`);
  const body = select(params);
  const sql = parts.length === 0 ? body : `WITH\n  ${parts.join(',\n  ')}\n${body}`;
  return { sql, params: checkedParams(sql, params) };
}

/** Every placeholder of the text is bound with its type, and every bound parameter is used. */
function checkedParams(sql: string, params: QueryParams): Record<string, unknown> {
  const used = new Set<string>();
  for (const [, name, type] of sql.matchAll(PLACEHOLDER) as Iterable<[string, string, string]>) {
    const bound = params.typeOf(name);
    if (bound === undefined) {
      throw new ClickHouseStorageError(
        'CLICKHOUSE_SQL_CONFLICT',
        `placeholder {${name}:${type}} is not bound`,
      );
    }
    if (bound !== type) {
      throw new ClickHouseStorageError(
        'CLICKHOUSE_SQL_CONFLICT',
        `placeholder {${name}:${type}} is bound as ${bound}`,
      );
    }
    used.add(name);
  }
  const unused = Object.keys(params.values).filter((name) => !used.has(name));
  if (unused.length > 0) {
    throw new ClickHouseStorageError(
      'CLICKHOUSE_SQL_CONFLICT',
      `parameters bound but not used: ${unused.join(', ')}`,
    );
  }
  return params.values;
}
