import { describe, expect, it } from 'vitest';
import { nextSession, SESSION_IDLE_MS, SESSION_MAX_MS } from './session.ts';

const t0 = 1_700_000_000_000;

describe('nextSession', () => {
  it('starts a session when none is stored, or the stored one is garbage', () => {
    expect(nextSession(null, t0)).toEqual([t0, `${t0}.${t0}`]);
    expect(nextSession('nonsense', t0)).toEqual([t0, `${t0}.${t0}`]);
    expect(nextSession(`${t0 - 10}`, t0)[0]).toBe(t0);
  });

  it('continues while there is activity within 30 minutes', () => {
    let stored = nextSession(null, t0)[1];
    let now = t0;
    for (let i = 0; i < 10; i++) {
      now += SESSION_IDLE_MS - 1;
      const [id, next] = nextSession(stored, now);
      expect(id).toBe(t0);
      stored = next;
    }
  });

  it('starts a new session after 30 minutes of inactivity', () => {
    const stored = nextSession(null, t0)[1];
    expect(nextSession(stored, t0 + SESSION_IDLE_MS)[0]).toBe(t0 + SESSION_IDLE_MS);
  });

  it('caps a session at 24 hours however active', () => {
    let stored = nextSession(null, t0)[1];
    let now = t0;
    while (now - t0 < SESSION_MAX_MS - 60_000) {
      now += 60_000;
      stored = nextSession(stored, now)[1];
    }
    expect(nextSession(stored, now + 59_000)[0]).toBe(t0);
    expect(nextSession(stored, t0 + SESSION_MAX_MS)[0]).toBe(t0 + SESSION_MAX_MS);
  });

  it('starts a new session when the clock went back', () => {
    const stored = nextSession(null, t0)[1];
    expect(nextSession(stored, t0 - 1000)[0]).toBe(t0 - 1000);
  });
});
