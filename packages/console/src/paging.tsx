import { hrefOf, Link, useLocation } from './router.tsx';

/**
 * Links to the next page of a paged list, by the API's `next` cursor kept in the URL (`param`), and back to
 * the first. The cursor is passed to the API as it is: a forged one gets the API's problem.
 */
export function Pager({ param, next, label }: { param: string; next: string | null; label: string }) {
  const { path, search } = useLocation();
  const at = (cursor: string | null) => {
    const query = new URLSearchParams(search);
    if (cursor === null) query.delete(param);
    else query.set(param, cursor);
    return hrefOf(path, query);
  };
  if (next === null && !search.has(param)) return null;
  return (
    <nav className="pager" aria-label={label}>
      {search.has(param) && <Link href={at(null)}>First page</Link>}
      {next === null ? <span>Last page</span> : <Link href={at(next)}>Next page</Link>}
    </nav>
  );
}

/** The request's query: the URL's values for `names`, those left out omitted so the API's defaults apply. */
export function pick(search: URLSearchParams, names: readonly string[]): URLSearchParams {
  const query = new URLSearchParams();
  for (const name of names) {
    const value = search.get(name);
    if (value !== null) query.set(name, value);
  }
  return query;
}
