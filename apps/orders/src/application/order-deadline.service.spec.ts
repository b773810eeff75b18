import { KafkaProbe, KafkaProbeService } from '@app/messaging';
import { OrdersConfig } from '../config';
import { OrdersRepository } from '../persistence/orders.repository';
import { CancelOrderService } from './cancel-order.service';
import { OrderDeadline } from './order-deadline.service';

const MIN = 60_000;

/** A deadline service whose broker answers as told, and which records the cutoff each scan asks for. */
function deadlineWith(answers: Partial<KafkaProbe>[]) {
  const cutoffs: number[] = [];
  const orders = {
    findOpenPlacedBefore: async (cutoff: Date) => {
      cutoffs.push(cutoff.getTime());
      return []; // nothing overdue: the scan ends there
    },
  } as unknown as OrdersRepository;
  const kafka = {
    probe: async (): Promise<KafkaProbe> => ({ brokerReachable: true, consumer: 'connected', ...answers.shift() }),
  } as unknown as KafkaProbeService;
  const deadline = new OrderDeadline(
    { ORDER_DEADLINE_SECONDS: 30 * 60, DATABASE_URL: 'postgres://unused' } as OrdersConfig,
    orders,
    {} as CancelOrderService,
    kafka,
  );
  return { deadline, cutoffs };
}

describe('the order deadline pauses while Kafka is unusable', () => {
  it('counts the time from the last check that found the broker to the first that finds it again as a stall', async () => {
    const { deadline, cutoffs } = deadlineWith([{}, { brokerReachable: false }, { brokerReachable: false }, {}]);
    const t0 = Date.now();
    expect(await deadline.checkKafka(t0 + 40 * MIN)).toBe(true);
    expect(await deadline.checkKafka(t0 + 41 * MIN)).toBe(false);
    expect(await deadline.checkKafka(t0 + 50 * MIN)).toBe(false);
    expect(await deadline.checkKafka(t0 + 51 * MIN)).toBe(true);

    await deadline.expireOverdue(new Date(t0 + 70 * MIN));
    // 30 minutes of running time back from minute 70 skip the 11 minutes from 40 to 51
    expect(cutoffs).toEqual([t0 + 29 * MIN]);
  });

  it('counts a crashed consumer as a stall too, and cancels nothing before the process has run for a whole deadline', async () => {
    const { deadline, cutoffs } = deadlineWith([{ consumer: 'crashed' }, {}]);
    const t0 = Date.now();
    await deadline.checkKafka(t0 + 10 * MIN);
    await deadline.checkKafka(t0 + 25 * MIN);
    expect(await deadline.expireOverdue(new Date(t0 + 40 * MIN))).toBe(0);
    expect(cutoffs).toEqual([]); // not even asked: 15 minutes of running time so far
    await deadline.expireOverdue(new Date(t0 + 55 * MIN));
    expect(cutoffs).toEqual([t0 + 25 * MIN]); // 30 minutes of running time: from minute 25 to 55
  });
});
