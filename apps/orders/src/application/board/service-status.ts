/** A service's outbox backlog and consumer lag, as the board shows them; null: unknown. */
export interface ServiceStatus {
  name: string;
  /** Events in its outbox not yet published. */
  backlog: number | null;
  /** Age of the oldest of them, in seconds (0 when none). */
  oldestPendingSeconds: number | null;
  /** Events its consumer has yet to handle, over every partition it reads. */
  lag: number | null;
  /** Why it is unknown (no answer, metrics off). */
  error?: string;
}

/** A service the board asks for its metrics. */
export interface Peer {
  name: string;
  metricsUrl: string;
}

/** BOARD_PEER_URLS' name=URL pairs (validated already by the config). */
export function parsePeers(pairs: readonly string[]): Peer[] {
  return pairs.map((pair) => {
    const at = pair.indexOf('=');
    return { name: pair.slice(0, at), metricsUrl: `${pair.slice(at + 1).replace(/\/+$/, '')}/metrics` };
  });
}

/** The metrics the board reads; a sample's labels are not looked at, its values are added up. */
const READ = new Map<string, 'backlog' | 'oldestPendingSeconds' | 'lag'>([
  ['outbox_pending_events', 'backlog'],
  ['outbox_oldest_pending_age_seconds', 'oldestPendingSeconds'],
  ['consumer_lag_events', 'lag'],
]);

/**
 * A service's status from its Prometheus text: the three metrics' samples (consumer lag summed over topics
 * and partitions); a metric that is not there stays unknown.
 */
export function serviceStatusFromMetrics(name: string, text: string): ServiceStatus {
  const status: ServiceStatus = { name, backlog: null, oldestPendingSeconds: null, lag: null };
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const end = line.search(/[{\s]/);
    const metric = end < 0 ? line : line.slice(0, end);
    const field = READ.get(metric);
    if (!field) continue;
    // the value follows the labels (whose quoted values may hold spaces); no timestamp in prom-client's output
    const value = Number(
      line
        .slice(Math.max(line.lastIndexOf('}') + 1, metric.length))
        .trim()
        .split(/\s+/)[0],
    );
    if (Number.isFinite(value)) status[field] = (status[field] ?? 0) + value;
  }
  if (status.backlog === null && status.lag === null) status.error = 'no outbox or consumer metrics';
  return status;
}

export function unknownService(name: string, error: string): ServiceStatus {
  return { name, backlog: null, oldestPendingSeconds: null, lag: null, error };
}
