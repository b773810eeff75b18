export * from './deferred';
export * from './database-client';
export * from './transient-errors';
