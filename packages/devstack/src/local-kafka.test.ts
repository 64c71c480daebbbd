import { describe, expect, it } from 'vitest';
import { newClusterId, parseClusterId } from './local-kafka.ts';

describe('cluster id', () => {
  it('is 22 base64url characters and never starts with a dash', () => {
    for (let i = 0; i < 200; i++) {
      const id = newClusterId();
      expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    }
  });

  it('is read back from meta.properties', () => {
    const meta =
      '#\n#Mon Nov 23 13:39:38 UTC 2026\nnode.id=1\ndirectory.id=2iUwLyC7OM94qCYq9z6hUg\nversion=1\ncluster.id=AAAAAAAAAAAAAAAAAAAAAA\n';
    expect(parseClusterId(meta)).toBe('AAAAAAAAAAAAAAAAAAAAAA');
    expect(parseClusterId('node.id=1\n')).toBeUndefined();
  });
});
