import type { ServerResponse } from 'node:http';
import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ServiceMetrics } from '@app/platform';
import { OrdersConfig } from '../../config';
import { OrderChanges } from '../order-changes';
import { BoardState, RECENT_LIMIT } from './board-state';
import { parsePeers, Peer, ServiceStatus, serviceStatusFromMetrics, unknownService } from './service-status';

/** How often the watching browsers get an update; the in-flight counts are read every 2nd push, the services every 4th. */
const PUSH_INTERVAL_MS = 500;
const COUNTS_EVERY = 2;
const SERVICES_EVERY = 4;
/** Per status, the in-flight count stops here: during a backlog the query reads at most this many index entries. */
const IN_FLIGHT_CAP = 10_000;
/** A service that does not answer its /metrics within this shows as unknown. */
const PEER_TIMEOUT_MS = 1500;
/** A browser that reads this far behind is dropped (it reconnects and starts from a fresh snapshot). */
const MAX_BUFFERED_BYTES = 1 << 20;

const IN_FLIGHT_SQL = `SELECT (SELECT count(*) FROM (SELECT 1 FROM orders WHERE status = 'PENDING' LIMIT $1) p) AS pending,
                              (SELECT count(*) FROM (SELECT 1 FROM orders WHERE status = 'RESERVED' LIMIT $1) r) AS reserved`;

/**
 * The live order board's server side. Every order this replica places or moves reaches it after its commit
 * (OrderChanges, in process, no query) and is aggregated in BoardState; while at least one browser watches, it
 * pushes an update over Server-Sent Events every PUSH_INTERVAL_MS (the orders changed since the last push, at
 * most RECENT_LIMIT, never every order), reads the database-wide in-flight counts (one bounded query) and the
 * services' backlog and lag (their GET /metrics). Nobody watching: no timer, no query, no request.
 */
@Injectable()
export class OrderBoard implements OnModuleDestroy {
  private readonly logger = new Logger(OrderBoard.name);
  private readonly state = new BoardState();
  private readonly clients = new Set<ServerResponse>();
  private readonly peers: Peer[];
  private timer: NodeJS.Timeout | null = null;
  private ticks = 0;
  private pushedSeq = 0;
  private counting = false;
  private asking = false;

  constructor(
    private readonly config: OrdersConfig,
    changes: OrderChanges,
    private readonly dataSource: DataSource,
    private readonly metrics: ServiceMetrics,
  ) {
    this.peers = parsePeers(config.BOARD_PEER_URLS);
    changes.listen((committed) => this.state.apply(committed, Date.now()));
  }

  /** Whether another browser may watch (BOARD_MAX_CLIENTS). */
  hasRoom(): boolean {
    return this.clients.size < this.config.BOARD_MAX_CLIENTS;
  }

  /** Streams the board to `res` (hijacked from the framework) until the browser goes away. */
  watch(res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no', // a proxy in front (nginx) would otherwise hold the events back
    });
    const settings = { traceUrl: this.config.BOARD_TRACE_URL || null, recentLimit: RECENT_LIMIT, pushIntervalMs: PUSH_INTERVAL_MS };
    res.write(`retry: 3000\nevent: settings\ndata: ${JSON.stringify(settings)}\n\n`);
    res.write(`event: snapshot\ndata: ${JSON.stringify(this.state.snapshot(Date.now()))}\n\n`);
    this.clients.add(res);
    res.on('close', () => this.unwatch(res));
    if (!this.timer) this.start();
  }

  get watching(): number {
    return this.clients.size;
  }

  onModuleDestroy(): void {
    // an open stream would hold the HTTP server's close until the shutdown timeout
    for (const res of this.clients) res.end();
    this.clients.clear();
    this.stop();
  }

  private unwatch(res: ServerResponse): void {
    this.clients.delete(res);
    if (this.clients.size === 0) this.stop();
  }

  private start(): void {
    this.ticks = 0;
    this.pushedSeq = this.state.lastSeq;
    this.timer = setInterval(() => this.tick(), PUSH_INTERVAL_MS);
    void this.readCounts();
    void this.readServices();
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    // read again when someone watches next, rather than shown stale meanwhile
    this.state.inFlight = null;
    this.state.services = [];
  }

  private tick(): void {
    this.ticks++;
    if (this.ticks % COUNTS_EVERY === 0) void this.readCounts();
    if (this.ticks % SERVICES_EVERY === 0) void this.readServices();
    const update = this.state.snapshot(Date.now(), this.pushedSeq);
    this.pushedSeq = update.seq;
    const message = `event: update\ndata: ${JSON.stringify(update)}\n\n`;
    for (const res of this.clients) {
      if (res.writableLength > MAX_BUFFERED_BYTES) {
        res.destroy(); // its 'close' unwatches it
        continue;
      }
      res.write(message);
    }
  }

  private async readCounts(): Promise<void> {
    if (this.counting) return; // the last read has not answered yet: no second one piles up
    this.counting = true;
    try {
      const [row]: { pending: string; reserved: string }[] = await this.dataSource.query(IN_FLIGHT_SQL, [IN_FLIGHT_CAP]);
      if (this.timer) this.state.inFlight = { PENDING: Number(row.pending), RESERVED: Number(row.reserved), cap: IN_FLIGHT_CAP, readAt: Date.now() };
    } catch (err) {
      // shown as not known, and read again at the next round
      if (this.timer) this.state.inFlight = null;
      this.logger.debug(`the board could not count the orders in flight: ${(err as Error).message}`);
    } finally {
      this.counting = false;
    }
  }

  private async readServices(): Promise<void> {
    if (this.asking) return;
    this.asking = true;
    try {
      const services = await Promise.all([this.ownStatus(), ...this.peers.map((p) => peerStatus(p))]);
      if (this.timer) this.state.services = services;
    } finally {
      this.asking = false;
    }
  }

  /** This service's own, from its registry (no HTTP round trip); unknown with METRICS_ENABLED=false. */
  private async ownStatus(): Promise<ServiceStatus> {
    if (!this.metrics.enabled) return unknownService('orders', 'metrics are off');
    try {
      const names = ['outbox_pending_events', 'outbox_oldest_pending_age_seconds', 'consumer_lag_events'];
      const texts = await Promise.all(names.map((n) => this.metrics.registry.getSingleMetricAsString(n).catch(() => '')));
      return serviceStatusFromMetrics('orders', texts.join('\n'));
    } catch (err) {
      return unknownService('orders', (err as Error).message);
    }
  }
}

async function peerStatus(peer: Peer): Promise<ServiceStatus> {
  try {
    const res = await fetch(peer.metricsUrl, { signal: AbortSignal.timeout(PEER_TIMEOUT_MS) });
    if (!res.ok) {
      await res.body?.cancel();
      return unknownService(peer.name, `GET /metrics answered ${res.status}`);
    }
    return serviceStatusFromMetrics(peer.name, await res.text());
  } catch (err) {
    const error = err as Error;
    return unknownService(peer.name, error.name === 'TimeoutError' ? 'no answer' : 'not reachable');
  }
}
