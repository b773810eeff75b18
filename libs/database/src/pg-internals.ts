import { Client } from 'pg';

/**
 * The parts of pg that are not its public API and that DatabaseClient relies on, in one place. pg is
 * pinned to the exact version they were read from (package.json), and pg-internals.spec.ts fails if
 * the installed pg is another version or if one of them is missing or has another shape.
 *
 * To move to another pg: install it exactly (`npm install pg@<version> --save-exact`), read what is
 * below again in its sources (lib/utils.js, lib/connection.js, lib/client.js, lib/query.js), then
 * change PG_VERSION_READ.
 */
export const PG_VERSION_READ = '8.23.1';

/**
 * pg's own conversion of a parameter value to what goes on the wire (`pg/lib/utils`): the same
 * function pg's Query hands to `connection.bind` as its `valueMapper`, so a value converted here first
 * is sent exactly as pg would have sent it.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const prepareValue = (require('pg/lib/utils') as { prepareValue: (value: unknown) => unknown }).prepareValue;

/** The part of the client's socket the client uses: writes between cork() and uncork() go out as one. */
export interface CorkableStream {
  cork?: () => void;
  uncork?: () => void;
}

/** The socket under a pg client (`client.connection.stream`, pg's Connection), if it has one. */
export function socketOf(client: Client): CorkableStream | undefined {
  return (client as unknown as { connection?: { stream?: CorkableStream } }).connection?.stream;
}
