import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { QUERY_ERRORS } from './problems.ts';

describe('query error codes', () => {
  it('are each documented with their status in docs/api-errors.md', () => {
    const doc = readFileSync(new URL('../../../docs/api-errors.md', import.meta.url), 'utf8');
    for (const [code, { status }] of Object.entries(QUERY_ERRORS)) {
      expect(doc, code).toMatch(new RegExp(`\\|\\s*${status}\\s*\\|\\s*\`${code}\`\\s*\\|`));
    }
  });
});
