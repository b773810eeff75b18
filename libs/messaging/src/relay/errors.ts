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

/**
 * True when publishing failed because of the message itself (a non-retriable broker answer),
 * so retrying it can never succeed. Everything else (broker down, timeouts) is transient.
 */
export function isPermanentPublishError(err: unknown): boolean {
  const errors = chain(err);
  if (errors.some((e) => TRANSIENT_NAMES.has(e?.name))) return false;
  return errors.some((e) => e?.name === 'KafkaJSProtocolError' && e.retriable === false);
}

export function describeError(err: unknown): string {
  return chain(err)
    .map((e) => `${e?.name ?? 'Error'}: ${e?.message ?? String(e)}`)
    .join(' <- ');
}
