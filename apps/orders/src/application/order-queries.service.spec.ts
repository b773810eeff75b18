import { InvalidCursor } from '@app/contracts';
import { decodeCursor, encodeCursor } from './order-queries.service';

const ID = '6f1c2b8e-3a4d-4e5f-8a9b-0c1d2e3f4a5b';
const made = (text: string) => Buffer.from(text).toString('base64url');

describe('list cursors', () => {
  it('give back the page position they were made from', () => {
    const createdAt = new Date('2026-11-30T06:00:00.123Z');
    expect(decodeCursor(encodeCursor(createdAt, ID))).toEqual({ createdAt, id: ID });
  });

  it('refuse, as BAD_CURSOR (a 400), anything encodeCursor cannot have written', () => {
    const refused = [
      'not base64 at all!',
      made(`2026-11-30T06:00:00.123Z|${'-'.repeat(36)}`), // 36 characters of the old check, not a uuid
      made(`2026-11-30T06:00:00.123Z|${'a'.repeat(36)}`),
      made(`-271821-04-20T00:00:00.000Z|${ID}`), // outside PostgreSQL's range
      made(`+275760-09-13T00:00:00.000Z|${ID}`),
      made(`0000-01-01T00:00:00.000Z|${ID}`),
      made(`2026-11-30|${ID}`), // parses, but is not what encodeCursor writes
      made(`2026-02-30T00:00:00.000Z|${ID}`), // rolls over to March
      made(`2026-11-30T06:00:00.123Z|${ID}|extra`),
      made(`2026-11-30T06:00:00.123Z`),
    ];
    for (const cursor of refused) {
      let caught: unknown;
      try {
        decodeCursor(cursor);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(InvalidCursor);
      expect(caught).toMatchObject({ code: 'BAD_CURSOR' });
    }
  });
});
