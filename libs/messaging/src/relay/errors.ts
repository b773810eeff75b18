/** Kafka errors that will not go away by retrying the same message (too large, corrupt, not allowed...). */
const TRANSIENT_NAMES = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSLockTimeout',
  'KafkaJSTopicMetadataNotLoaded',
  'KafkaJSStaleTopicMetadataAssignment',
  'KafkaJSNoBrokerAvailableError',
]);

function chain(err: unknown): any[] {
  const out: any[] = [];
  let current: any = err;
  while (current && out.length < 10) {
    out.push(current);
    current = current.cause ?? current.originalError;
  }
  return out;
}

/** Broker answers that are about the message itself: sending it again can never succeed. */
const MESSAGE_ERRORS = new Set(['MESSAGE_TOO_LARGE', 'CORRUPT_MESSAGE', 'INVALID_RECORD', 'RECORD_LIST_TOO_LARGE', 'INVALID_TIMESTAMP']);

/**
 * True when publishing failed because of the message itself, so retrying it can never succeed.
 * Everything else is retried: broker down, timeouts, and also non-retriable answers that are not
 * about the message (authorisation, producer-state errors), which an operator or a reconnect fixes.
 */
export function isPermanentPublishError(err: unknown): boolean {
  const errors = chain(err);
  if (errors.some((e) => TRANSIENT_NAMES.has(e?.name))) return false;
  return errors.some((e) => e?.name === 'KafkaJSProtocolError' && MESSAGE_ERRORS.has(e.type));
}

export function describeError(err: unknown): string {
  return chain(err)
    .map((e) => `${e?.name ?? 'Error'}: ${e?.message ?? String(e)}`)
    .join(' <- ');
}
