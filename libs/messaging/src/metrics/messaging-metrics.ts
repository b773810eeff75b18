import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { OutboxBacklog } from '../relay/outbox-backlog';

/** Buckets of the latencies (seconds) from 1 ms to 1 min. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const BATCH_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];

export type ConsumerOutcome = 'applied' | 'duplicate' | 'ignored' | 'dead-lettered';

/** The counters of one (topic, type): created once, so counting an event allocates nothing. */
export interface EventTypeMetrics {
  applied: Counter.Internal;
  duplicate: Counter.Internal;
  ignored: Counter.Internal;
  deadLettered: Counter.Internal;
  handleSeconds: Histogram.Internal<string>;
}

/** Relay side: what the outbox relay's loop counts (no label, no allocation per row). */
export interface RelayMetrics {
  published: Counter;
  failures: Counter;
  commitToPublish: Histogram;
  batchSize: Histogram;
}

/**
 * The messaging metrics (relay, consumer, dead letters, outbox backlog and consumer lag), registered in the
 * registry the service passes in. The hot paths only increment pre-created children.
 */
export class MessagingMetrics {
  readonly relay: RelayMetrics;
  private readonly consumerEvents: Counter<'topic' | 'type' | 'outcome'>;
  private readonly handleDuration: Histogram<'type'>;
  private readonly deadLetters: Counter<'topic' | 'code'>;
  private readonly byTopic = new Map<string, Map<string, EventTypeMetrics>>();

  constructor(
    readonly registry: Registry,
    sources: { backlog?: () => Promise<OutboxBacklog>; lag?: () => Promise<PartitionLag[]> } = {},
  ) {
    const registers = [registry];
    this.relay = {
      published: new Counter({ name: 'relay_published_events_total', help: 'Outbox events the relay published (acknowledged by Kafka)', registers }),
      failures: new Counter({ name: 'relay_publish_failures_total', help: 'Failed relay rounds (broker or database errors; retried)', registers }),
      commitToPublish: new Histogram({
        name: 'relay_commit_to_publish_seconds',
        help: "From the outbox row's creation to the broker's acknowledgement of its send",
        buckets: LATENCY_BUCKETS,
        registers,
      }),
      batchSize: new Histogram({ name: 'relay_batch_size', help: 'Events per published relay batch', buckets: BATCH_BUCKETS, registers }),
    };
    this.consumerEvents = new Counter({
      name: 'consumer_events_total',
      help: 'Events the consumer handled, by outcome (applied, duplicate, ignored, dead_lettered)',
      labelNames: ['topic', 'type', 'outcome'],
      registers,
    });
    this.handleDuration = new Histogram({
      name: 'consumer_handle_duration_seconds',
      help: "Time in an event's handler (inside its transaction)",
      labelNames: ['type'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.deadLetters = new Counter({ name: 'dead_letters_total', help: 'Messages this service sent to a dead-letter topic', labelNames: ['topic', 'code'], registers });
    const backlog = sources.backlog;
    if (backlog) {
      let pending: Promise<OutboxBacklog> | null = null;
      // the three gauges are read at one scrape: one query for them all
      const read = () => (pending ??= backlog().finally(() => setTimeout(() => (pending = null), 0)));
      const gauge = (name: string, help: string, pick: (b: OutboxBacklog) => number) =>
        new Gauge({
          name,
          help,
          registers,
          async collect() {
            const b = await read().catch(() => null);
            if (b) this.set(pick(b));
          },
        });
      gauge('outbox_pending_events', 'Outbox rows waiting to be published', (b) => b.pending);
      gauge('outbox_oldest_pending_age_seconds', 'Age of the oldest outbox row waiting to be published', (b) => b.oldestAgeMs / 1000);
      gauge('outbox_quarantined_events', 'Outbox rows the broker refused for good (quarantined), waiting for an operator', (b) => b.quarantined);
    }
    const lag = sources.lag;
    if (lag) {
      new Gauge({
        name: 'consumer_lag_events',
        help: "The partition's high-water mark minus the consumer group's committed offset",
        labelNames: ['topic', 'partition'],
        registers,
        async collect() {
          const lags = await lag().catch(() => null);
          if (!lags) return;
          this.reset();
          for (const l of lags) this.set({ topic: l.topic, partition: l.partition }, l.lag);
        },
      });
    }
  }

  /** The counters of one topic and event type (created at the first event of that pair). */
  eventType(topic: string, type: string): EventTypeMetrics {
    let types = this.byTopic.get(topic);
    if (!types) this.byTopic.set(topic, (types = new Map()));
    let m = types.get(type);
    if (!m) {
      m = {
        applied: this.consumerEvents.labels(topic, type, 'applied'),
        duplicate: this.consumerEvents.labels(topic, type, 'duplicate'),
        ignored: this.consumerEvents.labels(topic, type, 'ignored'),
        deadLettered: this.consumerEvents.labels(topic, type, 'dead_lettered'),
        handleSeconds: this.handleDuration.labels(type),
      };
      types.set(type, m);
    }
    return m;
  }

  countOutcome(m: EventTypeMetrics, outcome: ConsumerOutcome): void {
    switch (outcome) {
      case 'applied':
        return m.applied.inc();
      case 'duplicate':
        return m.duplicate.inc();
      case 'ignored':
        return m.ignored.inc();
      case 'dead-lettered':
        return m.deadLettered.inc();
    }
  }

  deadLettered(topic: string, code: string): void {
    this.deadLetters.labels(topic, code).inc();
  }
}

export interface PartitionLag {
  topic: string;
  partition: string;
  lag: number;
}

/** High-water marks minus committed offsets (a partition with no committed offset counts from its low mark). */
export function partitionLags(
  topic: string,
  marks: { partition: number; high: string; low: string }[],
  committed: { partition: number; offset: string }[],
): PartitionLag[] {
  const byPartition = new Map(committed.map((c) => [c.partition, Number(c.offset)]));
  return marks.map((m) => {
    const high = Number(m.high);
    const c = byPartition.get(m.partition);
    const from = c === undefined || c < 0 ? Number(m.low) : c;
    return { topic, partition: String(m.partition), lag: Math.max(0, high - from) };
  });
}
