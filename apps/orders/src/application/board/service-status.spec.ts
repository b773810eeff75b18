import { Counter, Gauge, Registry } from 'prom-client';
import { parsePeers, serviceStatusFromMetrics } from './service-status';

describe('the services panel', () => {
  it('reads backlog, oldest age and lag (summed over partitions) from Prometheus text as prom-client writes it', async () => {
    const registry = new Registry();
    registry.setDefaultLabels({ service: 'inventory' });
    const registers = [registry];
    new Gauge({ name: 'outbox_pending_events', help: 'h', registers }).set(7);
    new Gauge({ name: 'outbox_oldest_pending_age_seconds', help: 'h', registers }).set(1.5);
    const lag = new Gauge({ name: 'consumer_lag_events', help: 'h', labelNames: ['topic', 'partition'], registers });
    lag.set({ topic: 'orders.events', partition: '0' }, 3);
    lag.set({ topic: 'orders.events', partition: '1' }, 4);
    lag.set({ topic: 'odd "topic" with spaces', partition: '0' }, 1);
    // similar names are not read
    new Counter({ name: 'outbox_pending_events_seen_total', help: 'h', registers }).inc(100);

    expect(serviceStatusFromMetrics('inventory', await registry.metrics())).toEqual({ name: 'inventory', backlog: 7, oldestPendingSeconds: 1.5, lag: 8 });
  });

  it('leaves unknown what is not there', () => {
    expect(serviceStatusFromMetrics('shipping', '# HELP x y\nprocess_cpu_seconds_total 3\n')).toEqual({
      name: 'shipping',
      backlog: null,
      oldestPendingSeconds: null,
      lag: null,
      error: 'no outbox or consumer metrics',
    });
  });

  it('takes its peers from name=URL pairs', () => {
    expect(parsePeers(['inventory=http://127.0.0.1:3001/', 'shipping=http://shipping:3002'])).toEqual([
      { name: 'inventory', metricsUrl: 'http://127.0.0.1:3001/metrics' },
      { name: 'shipping', metricsUrl: 'http://shipping:3002/metrics' },
    ]);
    expect(parsePeers([])).toEqual([]);
  });
});
