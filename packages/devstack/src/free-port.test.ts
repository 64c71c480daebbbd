import { describe, expect, it } from 'vitest';
import { findFreePorts, isPortFree } from './free-port.ts';

describe('findFreePorts', () => {
  it('returns distinct ports that are free', async () => {
    const ports = await findFreePorts(3);
    expect(new Set(ports).size).toBe(3);
    for (const port of ports) expect(await isPortFree(port)).toBe(true);
  });
});
