import { hasMetric, metricValue, parsePrometheusText } from './prometheus-text';

describe('parsePrometheusText', () => {
  const text = [
    '# HELP orders_final_total Orders that reached a final state, by status',
    '# TYPE orders_final_total counter',
    'orders_final_total{status="CONFIRMED",service="orders"} 3',
    'orders_final_total{status="REJECTED",service="orders"} 1',
    'relay_batch_size_bucket{le="+Inf",service="orders"} 4',
    'process_cpu_seconds_total 0.52',
    'odd{msg="a \\"quoted\\", comma"} 1 1700000000000',
    '',
  ].join('\n');

  it('reads names, labels and values', () => {
    const samples = parsePrometheusText(text);
    expect(samples).toHaveLength(5);
    expect(samples[0]).toEqual({ name: 'orders_final_total', labels: { status: 'CONFIRMED', service: 'orders' }, value: 3 });
    expect(samples[2].labels.le).toBe('+Inf');
    expect(samples[4].labels.msg).toBe('a "quoted", comma');
  });

  it('sums the samples that match the labels asked for', () => {
    const samples = parsePrometheusText(text);
    expect(metricValue(samples, 'orders_final_total', { status: 'CONFIRMED' })).toBe(3);
    expect(metricValue(samples, 'orders_final_total')).toBe(4);
    expect(metricValue(samples, 'orders_final_total', { status: 'FAILED' })).toBe(0);
    expect(hasMetric(samples, 'process_cpu_seconds_total')).toBe(true);
  });

  it('refuses a line that is not a sample', () => {
    expect(() => parsePrometheusText('not a sample line at all {')).toThrow(/not a Prometheus sample line/);
  });
});
