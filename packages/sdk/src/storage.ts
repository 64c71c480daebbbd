export interface Store {
  get(key: string): string | null;
  set(key: string, value: string): void;
  del(key: string): void;
  keys(): string[];
}

/**
 * localStorage or sessionStorage that never throws. Where storage is disabled (Safari private mode,
 * blocked third-party contexts) it is memory for this page; a full quota loses the write, not the page.
 */
export function createStore(kind: 'localStorage' | 'sessionStorage'): Store {
  const memory: Record<string, string> = {};
  let storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> = {
    getItem: (key) => memory[key] ?? null,
    setItem: (key, value) => {
      memory[key] = value;
    },
    removeItem: (key) => {
      delete memory[key];
    },
  };
  // Object.keys lists a Storage's keys as it lists the memory fallback's.
  let keyed: object = memory;
  try {
    window[kind].setItem('wm_', '1');
    storage = keyed = window[kind];
  } catch {}
  const attempt = <T>(f: () => T) => {
    try {
      return f();
    } catch {}
  };
  return {
    get: (key) => attempt(() => storage.getItem(key)) ?? null,
    set: (key, value) => attempt(() => storage.setItem(key, value)),
    del: (key) => attempt(() => storage.removeItem(key)),
    keys: () => attempt(() => Object.keys(keyed)) ?? [],
  };
}

export function getCookie(name: string): string | undefined {
  try {
    return document.cookie.match(`(?:^|; )${name}=([^;]*)`)?.[1];
  } catch {}
}

/** A first-party cookie; `days` 0 deletes it. */
export function setCookie(name: string, value: string, days: number, domain?: string): void {
  try {
    document.cookie = `${name}=${value};path=/;max-age=${days * 86400};SameSite=Lax${
      location.protocol === 'https:' ? ';Secure' : ''
    }${domain ? `;domain=${domain}` : ''}`;
  } catch {}
}
