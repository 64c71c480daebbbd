import { describe, expect, it } from 'vitest';
import { anonymousKey, isBefore, parseCustomerKey, rawKeyOf, userKey } from './customer-key.ts';

describe('customer keys', () => {
  it('stores a touchpoint under its user id once it has one, else its anonymous id', () => {
    expect(rawKeyOf({ userId: 'U1', anonymousId: 'A1' })).toBe('u:U1');
    expect(rawKeyOf({ userId: null, anonymousId: 'A1' })).toBe('a:A1');
    expect(rawKeyOf({ userId: '', anonymousId: null })).toBe('a:');
  });

  it('reads back the id of each kind, ids with colons included', () => {
    expect(parseCustomerKey(userKey('a:b'))).toEqual({ kind: 'user', id: 'a:b' });
    expect(parseCustomerKey(anonymousKey('u:x'))).toEqual({ kind: 'anonymous', id: 'u:x' });
    expect(parseCustomerKey('x:1')).toBeUndefined();
  });

  it('orders touchpoints by time, then message id', () => {
    expect(isBefore({ timestamp: 1, messageId: 'b' }, { timestamp: 2, messageId: 'a' })).toBe(true);
    expect(isBefore({ timestamp: 2, messageId: 'a' }, { timestamp: 2, messageId: 'b' })).toBe(true);
    expect(isBefore({ timestamp: 2, messageId: 'b' }, { timestamp: 2, messageId: 'b' })).toBe(false);
  });
});
