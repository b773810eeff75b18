import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { MESSAGING_OPTIONS, MessagingOptions } from '../messaging.options';

/** Rows deleted per statement: short statements, so pruning never holds many locks for long. */
const CHUNK = 5000;
/** Pause between two chunks of one run. */
const PAUSE_BETWEEN_CHUNKS_MS = 100;
const FIRST_RUN_MS = 60_000;
const INTERVAL_MS = 10 * 60_000;

/**
 * Deletes inbox rows older than the retention (INBOX_RETENTION_HOURS), so the inbox does not grow by
 * a row per consumed event forever. A row only has to outlive any chance of its event being
 * delivered again, which ends with the topic's retention: keep the retention above it. Replicas may
 * prune at the same time: SKIP LOCKED keeps them off each other's rows.
 */
@Injectable()
export class InboxPruner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('InboxPruner');
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(
    @Inject(MESSAGING_OPTIONS) private readonly options: MessagingOptions,
    private readonly dataSource: DataSource,
  ) {}

  onApplicationBootstrap(): void {
    if (this.options.inbox.retentionHours > 0) this.schedule(FIRST_RUN_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** Deletes every row past the retention, a chunk per statement; returns how many. */
  async pruneOnce(): Promise<number> {
    let total = 0;
    for (;;) {
      // MATERIALIZED: the chunk is chosen once (as an IN (sub-select) the planner may re-run it per row)
      const [, deleted] = (await this.dataSource.query(
        `WITH doomed AS MATERIALIZED (
           SELECT consumer, event_id FROM inbox WHERE processed_at < now() - make_interval(hours => $1)
            LIMIT $2 FOR UPDATE SKIP LOCKED)
         DELETE FROM inbox i USING doomed d WHERE i.consumer = d.consumer AND i.event_id = d.event_id`,
        [this.options.inbox.retentionHours, CHUNK],
      )) as [unknown, number];
      total += deleted;
      if (deleted < CHUNK || this.stopped) return total;
      // a large first backlog is deleted a chunk at a time with room in between for the saga's own writes
      await new Promise((resolve) => setTimeout(resolve, PAUSE_BETWEEN_CHUNKS_MS));
    }
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.pruneOnce()
        .then((n) => n > 0 && this.logger.log(`deleted ${n} inbox rows older than ${this.options.inbox.retentionHours} h`))
        .catch((err) => this.logger.warn(`inbox pruning failed (${(err as Error).message}); trying again in ${INTERVAL_MS / 60_000} min`))
        .finally(() => this.schedule(INTERVAL_MS));
    }, delayMs);
    this.timer.unref();
  }
}
