import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Admin, Kafka } from 'kafkajs';
import { MESSAGING_OPTIONS, MessagingOptions } from '../messaging.options';
import { kafkaClientConfig } from './kafka-client';
import { PrefixedKafkaServer } from './kafka-server';

/** Where the bootstrap puts the service's Kafka transport, so readiness can see its consumer. */
@Injectable()
export class KafkaServerRef {
  server: PrefixedKafkaServer | null = null;
}

export interface KafkaProbe {
  /** A broker of the list answered, naming the cluster's controller: the cluster works (not only that node). */
  brokerReachable: boolean;
  /** The consumer's last state (PrefixedKafkaServer's ConsumerState, or 'not started' without a server). */
  consumer: string;
  /** Why the consumer last crashed or failed to start, until it has joined its group again. */
  consumerError?: string;
  error?: string;
}

/**
 * Consumer states in which the service takes in its events: in its group, consuming or rejoining it. A
 * rebalance is not counted as down: every member of the group goes through it at once, so taking them out of
 * rotation for it would take out every replica. A consumer still connecting or joining is down: it reads
 * nothing yet, and after an unclean stop of the service it waits for the dead member's session to expire.
 */
const CONSUMER_UP = ['connected', 'rebalancing'];

/**
 * Whether the service can do its Kafka work: the broker answers and its consumer is in its group. The orders'
 * deadline pauses while this is false, so the time a restarted consumer spends joining counts as a stall too:
 * the replies its orders wait for sit unread in its topics meanwhile.
 */
export function kafkaUsable(probe: KafkaProbe): boolean {
  return probe.brokerReachable && CONSUMER_UP.includes(probe.consumer);
}

/** Why a probe that kafkaUsable() refuses is not usable, in a few words for readiness. */
export function kafkaProblem(probe: KafkaProbe): string {
  if (probe.error) return probe.error;
  if (!probe.brokerReachable) return 'no broker';
  switch (probe.consumer) {
    case 'joining':
      return 'the consumer has not joined its group yet (after an unclean stop, the broker waits for the old member to expire: KAFKA_SESSION_TIMEOUT_MS)';
    case 'crashed':
      return `the consumer crashed (${probe.consumerError ?? 'unknown error'}); a new one is being started`;
    default:
      return `consumer ${probe.consumer}`;
  }
}

/**
 * Answers "can this service talk to Kafka right now?" quickly, without blocking on retries. It judges the
 * cluster, not one node: any broker of KAFKA_BROKERS may answer, and the answer must name a controller (a
 * broker that has lost the cluster answers without one). A node that is down or frozen does not fail the
 * probe: a request to it gives up after PROBE_REQUEST_TIMEOUT_MS, and the probe asks again from the next
 * broker of the list.
 */
@Injectable()
export class KafkaProbeService implements OnApplicationShutdown {
  private admin: Admin | null = null;
  /** The broker of the list the next admin client tries first (moved on after each failed probe). */
  private firstBroker = 0;
  /** The probe under way: readiness and the orders' deadline ask at once, and share one answer. */
  private inFlight: Promise<KafkaProbe> | null = null;

  constructor(
    @Inject(MESSAGING_OPTIONS) private readonly options: MessagingOptions,
    private readonly ref: KafkaServerRef,
  ) {}

  /**
   * One probe at a time: two at once would each connect an admin client (one of them left connected),
   * and one's failure would disconnect the client the other is using, reporting a sound broker as down.
   */
  probe(timeoutMs = 2500): Promise<KafkaProbe> {
    this.inFlight ??= this.probeOnce(timeoutMs).finally(() => (this.inFlight = null));
    return this.inFlight;
  }

  /**
   * Asks the cluster through the admin client (a fresh one, from the next broker of the list, after a failure)
   * until one answers with a controller or `timeoutMs` is spent: a request kafkajs happened to send to a
   * node that is down or frozen fails (after PROBE_REQUEST_TIMEOUT_MS), not the probe.
   */
  private async probeOnce(timeoutMs: number): Promise<KafkaProbe> {
    const consumer = this.ref.server?.state ?? 'not started';
    const consumerError = this.ref.server?.lastError ?? undefined;
    const deadline = Date.now() + timeoutMs;
    let error = 'Kafka did not answer in time';
    for (let attempt = 0; attempt < Math.max(this.options.brokers.length, 1); attempt++) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      try {
        const admin = await this.connectedAdmin(left);
        const cluster = await withTimeout(admin.describeCluster(), deadline - Date.now(), 'Kafka did not answer in time');
        if (cluster.brokers.length === 0 || cluster.controller === null) throw new Error('the Kafka cluster has no controller');
        return { brokerReachable: true, consumer, ...(consumerError ? { consumerError } : {}) };
      } catch (err) {
        error = (err as Error).message;
        const admin = this.admin;
        this.admin = null; // start afresh: kafkajs clients do not always recover by themselves
        this.firstBroker = (this.firstBroker + 1) % Math.max(this.options.brokers.length, 1); // and from another broker
        admin?.disconnect().catch(() => {});
      }
    }
    return { brokerReachable: false, consumer, ...(consumerError ? { consumerError } : {}), error };
  }

  private async connectedAdmin(timeoutMs: number): Promise<Admin> {
    if (!this.admin) {
      const brokers = [...this.options.brokers.slice(this.firstBroker), ...this.options.brokers.slice(0, this.firstBroker)];
      const config = kafkaClientConfig({ ...this.options, brokers }, `${this.options.service}-health`);
      const kafka = new Kafka({ ...config, connectionTimeout: PROBE_CONNECTION_TIMEOUT_MS, requestTimeout: PROBE_REQUEST_TIMEOUT_MS });
      // a broker that refuses the connection: the next one of the list, within the same connect
      const admin = kafka.admin({ retry: { retries: brokers.length - 1, initialRetryTime: 50, maxRetryTime: 100 } });
      try {
        await withTimeout(admin.connect(), Math.min(timeoutMs, 2000), 'Kafka connection timed out');
      } catch (err) {
        admin.disconnect().catch(() => {}); // a connect that times out may still succeed later: not left open
        throw err;
      }
      this.admin = admin;
    }
    return this.admin;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.admin?.disconnect().catch(() => {});
  }
}

/** A probe's connection and requests give up sooner than the service's clients: another broker is asked then. */
const PROBE_CONNECTION_TIMEOUT_MS = 800;
const PROBE_REQUEST_TIMEOUT_MS = 800;

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([promise.finally(() => clearTimeout(timer)), new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))]);
}
