import { createContext, useContext } from 'react';

/**
 * The signed-in project: its id and API key, kept in `sessionStorage` (gone when the tab closes, never
 * shared with other tabs) and sent only as the bearer header, never in a URL.
 */
export interface Session {
  readonly projectId: string;
  readonly apiKey: string;
}

const KEY = 'waymark.session';

export function loadSession(): Session | undefined {
  const stored = sessionStorage.getItem(KEY);
  if (!stored) return undefined;
  try {
    const value: unknown = JSON.parse(stored);
    if (
      typeof value === 'object' &&
      value !== null &&
      'projectId' in value &&
      'apiKey' in value &&
      typeof value.projectId === 'string' &&
      typeof value.apiKey === 'string'
    ) {
      return { projectId: value.projectId, apiKey: value.apiKey };
    }
  } catch {
    // Not ours or corrupted: treated as signed out.
  }
  sessionStorage.removeItem(KEY);
  return undefined;
}

export function saveSession(session: Session): void {
  sessionStorage.setItem(KEY, JSON.stringify(session));
}

export function clearSession(): void {
  sessionStorage.removeItem(KEY);
}

/** The signed-in project, for every screen below the app. */
export const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in console');
  return session;
}
