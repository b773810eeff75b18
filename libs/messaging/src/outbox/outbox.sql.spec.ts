import { randomUUID } from 'node:crypto';
import { fnv1a } from './outbox.sql';

describe('lanes', () => {
  it('hash a key the same way every time (FNV-1a test vectors)', () => {
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
    expect(fnv1a('foobar')).toBe(0xbf9cf968);
  });

  it('spread keys over all lanes', () => {
    const counts = new Array(16).fill(0);
    for (let i = 0; i < 16_000; i++) counts[fnv1a(randomUUID()) % 16]++;
    expect(Math.min(...counts)).toBeGreaterThan(800);
    expect(Math.max(...counts)).toBeLessThan(1200);
  });
});
