import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { DataSource } from 'typeorm';
import { kafkaProblem, kafkaUsable, KafkaProbeService, MESSAGING_OPTIONS, MessagingOptions, OutboxRelayService } from '@app/messaging';

/**
 * `/health/live`: the process answers (restart it if not). `/health/ready`: it can do its work
 * (database, Kafka broker and consumer, outbox not falling behind); take it out of rotation if not.
 * HTTP answers before the consumer has joined its group (see runService): until then readiness is
 * down, with the consumer's state (`kafka.consumer`: 'connecting', 'joining', 'crashed'...), and
 * liveness up.
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly dataSource: DataSource,
    private readonly indicators: HealthIndicatorService,
    private readonly kafka: KafkaProbeService,
    private readonly relay: OutboxRelayService,
    @Inject(MESSAGING_OPTIONS) private readonly options: MessagingOptions,
  ) {}

  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([() => this.databaseCheck(), () => this.kafkaCheck(), () => this.outboxCheck()]);
  }

  /**
   * The database answers within 2 s and takes writes: a server that is read-only (a standby, a failover
   * under way, default_transaction_read_only set) answers every write with an error, so the service
   * cannot do its work, although a ping would pass.
   */
  private async databaseCheck() {
    const check = this.indicators.check('database');
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('the database did not answer within 2 s')), 2000)));
      const [row] = await Promise.race([this.dataSource.query(`SELECT current_setting('transaction_read_only') AS read_only`), timeout]);
      return row.read_only === 'on' ? check.down({ error: 'the database takes no writes (read-only: a standby, or a failover under way)' }) : check.up();
    } catch (err) {
      return check.down({ error: (err as Error).message });
    } finally {
      clearTimeout(timer);
    }
  }

  private async kafkaCheck() {
    const check = this.indicators.check('kafka');
    const probe = await this.kafka.probe();
    return kafkaUsable(probe) ? check.up({ consumer: probe.consumer }) : check.down({ consumer: probe.consumer, error: kafkaProblem(probe) });
  }

  private async outboxCheck() {
    const check = this.indicators.check('outbox');
    try {
      const backlog = await this.relay.backlog();
      const stats = this.relay.relay.stats;
      const details = {
        ...backlog,
        maxAgeMs: this.options.outbox.backlogMaxAgeMs,
        published: stats.published,
        batches: stats.batches,
        emptyClaims: stats.emptyClaims,
        relays: stats.members,
        failures: stats.failures,
        ownedLanes: stats.ownedLanes,
        lastError: stats.lastError,
      };
      return backlog.oldestAgeMs <= this.options.outbox.backlogMaxAgeMs ? check.up(details) : check.down(details);
    } catch (err) {
      return check.down({ error: (err as Error).message });
    }
  }
}
