import { describe, expect, it } from 'vitest';
import { newAdminToken, rotateProjectKey } from './project-keys.ts';
import { hashApiKey, type Project } from './projects.ts';

const project: Project = {
  projectId: 'shop',
  name: 'Shop',
  writeKey: 'wk_old',
  apiKeyHash: hashApiKey('sk_old'),
  previousWriteKey: { key: 'wk_older', expiresAt: 5_000 },
  allowedOrigins: [],
  createdAt: 0,
  updatedAt: 0,
};

describe('rotateProjectKey', () => {
  it('keeps the replaced write key for the grace period, replacing an earlier previous key', () => {
    const { project: rotated, key } = rotateProjectKey(project, 'write-key', 60_000, 1_000);
    expect(key).toMatch(/^wk_/);
    expect(rotated).toMatchObject({ writeKey: key, previousWriteKey: { key: 'wk_old', expiresAt: 61_000 } });
    expect(rotated.apiKeyHash).toBe(project.apiKeyHash);
  });

  it('stores only the hash of a new API key, and no previous key without grace', () => {
    const { project: rotated, key } = rotateProjectKey(project, 'api-key', 0, 1_000);
    expect(key).toMatch(/^sk_/);
    expect(rotated.apiKeyHash).toBe(hashApiKey(key));
    expect(rotated.previousApiKeyHash).toBeUndefined();
    expect(JSON.stringify(rotated)).not.toContain(key);
  });

  it('makes admin tokens that look like no project key', () => {
    expect(newAdminToken()).toMatch(/^wat_[\w-]{43}$/);
    expect(newAdminToken()).not.toBe(newAdminToken());
  });
});
