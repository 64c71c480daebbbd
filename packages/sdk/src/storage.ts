export interface Store {
  read(key: string): string | null;
  /** Never throws; a full quota loses the write. */
  write(key: string, value: string): void;
  erase(key: string): unknown;
  list(): string[];
}

/**
 * localStorage or sessionStorage that never throws. Where storage is disabled (Safari private mode,
 * blocked third-party contexts) it is a plain object for this page; a full quota loses the write, not the
 * page. Both are used through property access, which a Storage supports like an object (our keys start
 * with `wm_`, so they never shadow its methods).
 */
export function createStore(kind: 'localStorage' | 'sessionStorage'): Store {
  let storage: Record<string, string> = {};
  try {
    const probe = window[kind] as unknown as Record<string, string>;
    probe.wm_ = '1';
    delete probe.wm_;
    storage = probe;
  } catch {}
  return {
    read: (key) => storage[key] ?? null,
    write(key, value) {
      try {
        storage[key] = value;
      } catch {}
    },
    // Strict-mode `delete` of a missing key may throw on some Storage implementations.
    erase: (key) => key in storage && delete storage[key],
    list: () => Object.keys(storage),
  };
}

export function getCookie(name: string): string | undefined {
  try {
    return document.cookie.match(`(?:^|; )${name}=([^;]*)`)?.[1];
  } catch {}
}

/** A first-party cookie; `maxAgeSeconds` 0 deletes it. */
export function setCookie(name: string, value: string, maxAgeSeconds: number, domain?: string): void {
  try {
    // biome-ignore lint/suspicious/noDocumentCookie: the Cookie Store API is async and missing in Firefox and older Safari.
    document.cookie = `${name}=${value};path=/;max-age=${maxAgeSeconds};SameSite=Lax${
      location.protocol === 'https:' ? ';Secure' : ''
    }${domain ? `;domain=${domain}` : ''}`;
  } catch {}
}
