import { type AnchorHTMLAttributes, type MouseEvent, useEffect, useState } from 'react';

/**
 * The console's location: the screen is the path, its settings the query string, so every view is a link
 * that can be shared, bookmarked and opened afresh. The query service answers every path that is not the
 * API's with the console (services/query/src/console.ts); the screens decide what a path shows.
 */
export interface Location {
  readonly path: string;
  readonly search: URLSearchParams;
}

const current = (): Location => ({
  path: window.location.pathname,
  search: new URLSearchParams(window.location.search),
});

const NAVIGATED = 'waymark:navigated';

/** The location, updated on navigation (links, back and forward). */
export function useLocation(): Location {
  const [location, setLocation] = useState(current);
  useEffect(() => {
    const update = () => setLocation(current());
    window.addEventListener('popstate', update);
    window.addEventListener(NAVIGATED, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(NAVIGATED, update);
    };
  }, []);
  return location;
}

/**
 * Goes to `href` (a path with an optional query string) without reloading the page, at its top unless
 * `keepScroll`: a choice within a screen's lower part (a chart's step) leaves the reader where they are.
 */
export function navigate(href: string, options: { replace?: boolean; keepScroll?: boolean } = {}): void {
  if (options.replace) window.history.replaceState(null, '', href);
  else window.history.pushState(null, '', href);
  window.dispatchEvent(new Event(NAVIGATED));
  if (!options.keepScroll) window.scrollTo({ top: 0 });
}

/** A link inside the console: a plain anchor (open in a new tab works), navigated in place on a click. */
export function Link({ href, onClick, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  const click = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(href);
  };
  return <a href={href} onClick={click} {...rest} />;
}

/** `path` with `search` as its query string, left out when empty. */
export function hrefOf(path: string, search: URLSearchParams | Record<string, string>): string {
  const query = new URLSearchParams(search).toString();
  return query ? `${path}?${query}` : path;
}
