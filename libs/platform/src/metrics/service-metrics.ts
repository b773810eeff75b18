import { Controller, Get, Inject, Injectable, NotFoundException, OnApplicationShutdown, OnModuleInit, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { BaseConfig } from '../config/base.config';
import { ConsumerLagReader, createKafka, InboxConsumer, LATENCY_BUCKETS, MESSAGING_OPTIONS, MessagingMetrics, MessagingOptions, OutboxRelayService, TopicNames } from '@app/messaging';

/**
 * The service's Prometheus registry: Node's process metrics, the HTTP request histogram, the messaging
 * metrics (relay, consumer, dead letters, outbox backlog and consumer lag, the last two read at scrape
 * time) and whatever the service adds (`registry`). With METRICS_ENABLED=false nothing is counted and
 * GET /metrics answers 404.
 */
@Injectable()
export class ServiceMetrics implements OnModuleInit, OnApplicationShutdown {
  readonly registry = new Registry();
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  private lag: ConsumerLagReader | null = null;
  readonly enabled: boolean;

  constructor(
    config: BaseConfig,
    @Inject(MESSAGING_OPTIONS) private readonly options: MessagingOptions,
    private readonly relay: OutboxRelayService,
    private readonly inbox: InboxConsumer,
  ) {
    this.enabled = config.METRICS_ENABLED;
    this.registry.setDefaultLabels({ service: options.service });
    if (this.enabled) collectDefaultMetrics({ register: this.registry });
    this.httpDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP requests by method, route pattern and status (GET /metrics and the board event stream excluded)',
      labelNames: ['method', 'route', 'status'],
      buckets: LATENCY_BUCKETS,
      registers: [this.registry],
    });
  }

  onModuleInit(): void {
    if (!this.enabled) return;
    const lag = new ConsumerLagReader(createKafka(this.options, `${this.options.service}-metrics`), this.options.service, () => this.inbox.topics(), new TopicNames(this.options.topicPrefix));
    this.lag = lag;
    const messaging = new MessagingMetrics(this.registry, { backlog: () => this.relay.backlog(), lag: () => lag.read() });
    this.relay.relay.instrument(messaging.relay);
    this.inbox.instrument(messaging);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.lag?.close();
  }

  /** Records one HTTP request (called from the server's onResponse hook); a stream of events (the board's) is no request to time. */
  observeRequest(method: string, route: string | undefined, status: number, ms: number): void {
    if (route === '/metrics' || route === '/board/events') return;
    this.httpDuration.observe({ method, route: route ?? 'unmatched', status: statusLabel(status) }, ms / 1000);
  }
}

const STATUS = new Map<number, string>();
function statusLabel(status: number): string {
  let label = STATUS.get(status);
  if (label === undefined) STATUS.set(status, (label = String(status)));
  return label;
}

@Controller()
export class MetricsController {
  constructor(private readonly metrics: ServiceMetrics) {}

  @Get('metrics')
  async scrape(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    if (!this.metrics.enabled) throw new NotFoundException('metrics are off (METRICS_ENABLED=false)');
    const text = await this.metrics.registry.metrics();
    void reply.header('content-type', this.metrics.registry.contentType);
    return text;
  }
}
