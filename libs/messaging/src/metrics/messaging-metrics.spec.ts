import { Registry } from 'prom-client';
import { MessagingMetrics, partitionLags } from './messaging-metrics';

describe('partitionLags', () => {
  it('is the high-water mark minus the committed offset, from the low mark where nothing is committed', () => {
    const lags = partitionLags(
      'orders.events',
      [
        { partition: 0, high: '10', low: '0' },
        { partition: 1, high: '7', low: '2' },
        { partition: 2, high: '5', low: '0' },
      ],
      [
        { partition: 0, offset: '4' },
        { partition: 1, offset: '-1' },
      ],
    );
    expect(lags).toEqual([
      { topic: 'orders.events', partition: '0', lag: 6 },
      { topic: 'orders.events', partition: '1', lag: 5 },
      { topic: 'orders.events', partition: '2', lag: 5 },
    ]);
  });
});

describe('MessagingMetrics', () => {
  it('counts outcomes on pre-created children and reads the backlog and lag at scrape time', async () => {
    const registry = new Registry();
    const backlog = jest.fn(async () => ({ pending: 3, oldestAgeMs: 1500, quarantined: 1, heldBehindQuarantine: 0 }));
    const metrics = new MessagingMetrics(registry, { backlog, lag: async () => [{ topic: 't', partition: '0', lag: 2 }] });
    const m = metrics.eventType('t', 'OrderPlaced');
    expect(metrics.eventType('t', 'OrderPlaced')).toBe(m);
    metrics.countOutcome(m, 'applied');
    metrics.countOutcome(m, 'applied');
    metrics.countOutcome(m, 'dead-lettered');
    metrics.deadLettered('t', 'INVALID_DATA');
    metrics.relay.published.inc(5);
    const text = await registry.metrics();
    expect(text).toContain('consumer_events_total{topic="t",type="OrderPlaced",outcome="applied"} 2');
    expect(text).toContain('consumer_events_total{topic="t",type="OrderPlaced",outcome="dead_lettered"} 1');
    expect(text).toContain('dead_letters_total{topic="t",code="INVALID_DATA"} 1');
    expect(text).toContain('relay_published_events_total 5');
    expect(text).toContain('outbox_pending_events 3');
    expect(text).toContain('outbox_oldest_pending_age_seconds 1.5');
    expect(text).toContain('outbox_quarantined_events 1');
    expect(text).toContain('consumer_lag_events{topic="t",partition="0"} 2');
    expect(backlog).toHaveBeenCalledTimes(1); // one query for the three gauges
  });
});
