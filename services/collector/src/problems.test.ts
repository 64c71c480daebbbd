import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COLLECTOR_ERRORS } from './problems.ts';

describe('collector error codes', () => {
  it('are each documented with their status in docs/collector-errors.md', () => {
    const doc = readFileSync(new URL('../../../docs/collector-errors.md', import.meta.url), 'utf8');
    for (const [code, { status }] of Object.entries(COLLECTOR_ERRORS)) {
      expect(doc, code).toMatch(new RegExp(`\\|\\s*${status}\\s*\\|\\s*\`${code}\`\\s*\\|`));
    }
  });
});
