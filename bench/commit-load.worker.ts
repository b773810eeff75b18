/**
 * Worker thread for bench:relay (c): commits one event per transaction at a steady rate, in its own
 * event loop, so that the load generator does not delay the relay it is measuring. Posts back each
 * event's commit time (absolute ms, comparable across threads).
 */
import 'reflect-metadata';
import { parentPort, workerData } from 'node:worker_threads';
import { DataSource } from 'typeorm';
import { OrderCancelledV1 } from '@app/contracts';
import { Outbox } from '@app/messaging';

const { url, seconds, perSecond, keys, lanes } = workerData as { url: string; seconds: number; perSecond: number; keys: string[]; lanes: number };
const now = () => performance.timeOrigin + performance.now();

async function run() {
  const dataSource = new DataSource({ type: 'postgres', url, extra: { max: 20 } });
  await dataSource.initialize();
  const outbox = new Outbox({ outbox: { lanes } } as never);
  const committed: [string, number][] = [];
  const total = seconds * perSecond;
  const interval = 1000 / perSecond;
  const t0 = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const wait = t0 + i * interval - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const key = keys[i % keys.length];
    pending.push(
      dataSource
        .transaction((tx) => outbox.enqueue(tx, [{ data: Object.assign(new OrderCancelledV1(), { reason: 'r'.repeat(240) }), orderId: key, correlationId: key }]))
        .then(([envelope]) => void committed.push([envelope.id, now()])),
    );
    if (i % perSecond === perSecond - 1) parentPort!.postMessage({ progress: (i + 1) / perSecond });
  }
  await Promise.all(pending);
  const elapsed = (performance.now() - t0) / 1000;
  await dataSource.destroy();
  parentPort!.postMessage({ committed, rate: total / elapsed });
}

run().catch((err) => parentPort!.postMessage({ error: String(err?.stack ?? err) }));
