import { IsBoolean, IsInt, Matches, Max, Min } from 'class-validator';
import { BaseConfig, Setting, ToBool, ToInt, ToList } from '@app/platform';

/** orders: the shared settings, the saga deadline, the group commit of new orders and the order board (see docs/configuration.md). */
export class OrdersConfig extends BaseConfig {
  override PORT = 3000;

  @Setting({
    doc: `Seconds after which an order still PENDING or RESERVED is cancelled by the system (OrderCancelled: its stock is
      released, any shipment cancelled), so every order ends in a final state even if an event it waits for was
      dead-lettered and will never come. Time in which the orders service found Kafka unusable (the broker unreachable, its
      consumer down) does not count; make it longer than an outage of inventory or shipping you want to ride out. 0 turns
      it off.`,
  })
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(604800)
  ORDER_DEADLINE_SECONDS = 1800;

  @Setting({
    doc: `Cancel an order as soon as a service's handler gives up on an event the order still waits for (dead-lettered: the
      step will never happen, see DeadLetteredOrders; contract mismatches such as an unknown version are not counted),
      instead of at ORDER_DEADLINE_SECONDS. false: such orders wait for the deadline, e.g. while you replay dead letters by
      hand. Give every replica the same value.`,
  })
  @ToBool()
  @IsBoolean({ message: 'CANCEL_ON_DEAD_LETTER must be true or false' })
  CANCEL_ON_DEAD_LETTER = true;

  @Setting({
    doc: `Place-order transactions in flight at once (keep it below DB_POOL_SIZE: consumers and reads share the pool). New
      orders that arrive while all of them are busy wait for one to finish and then commit together in one transaction
      (group commit): each still gets its 202 only after its own commit. An order arriving at a quiet moment starts its
      transaction at once.`,
  })
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(100)
  INTAKE_TRANSACTIONS = 4;

  @Setting({
    doc: `Most new orders committed in one place-order transaction (1 gives every order its own). A batch the database refuses
      is committed again order by order, so one bad order fails alone. Orders with an Idempotency-Key always commit alone.`,
  })
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(1000)
  INTAKE_MAX_BATCH = 64;

  @Setting({
    doc: `Serve the live order board: GET /board (a page) and GET /board/events (its Server-Sent Events), see
      docs/operations.md. false: neither route exists and nothing is aggregated.`,
  })
  @ToBool()
  @IsBoolean({ message: 'BOARD_ENABLED must be true or false' })
  BOARD_ENABLED = true;

  @Setting({
    doc: `Browsers watching the board at once (each holds one open connection); one more gets 503 until another leaves.`,
  })
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(1000)
  BOARD_MAX_CLIENTS = 20;

  @Setting({
    doc: `The other services whose outbox backlog and consumer lag the board shows, as name=URL pairs separated by commas; the
      board reads each one's GET /metrics every two seconds while someone watches. One that does not answer (or has
      METRICS_ENABLED=false) shows as unknown. npm start sets it to where it runs them; empty: orders alone.`,
  })
  @ToList()
  @Matches(/^[a-z][a-z0-9_-]{0,40}=https?:\/\/[^\s,]+$/, { each: true, message: 'BOARD_PEER_URLS must be name=http://host:port pairs separated by commas' })
  BOARD_PEER_URLS: string[] = ['inventory=http://127.0.0.1:3001', 'shipping=http://127.0.0.1:3002'];

  @Setting({
    doc: `Link from each order on the board to its trace: a URL with {traceId} in it, e.g.
      http://127.0.0.1:9411/zipkin/traces/{traceId} for Zipkin or http://127.0.0.1:16686/trace/{traceId} for Jaeger. Orders
      placed while tracing was off have no trace and get no link. npm start -- --observe sets it to the Zipkin it runs.
      Empty: no links.`,
  })
  @Matches(/^(https?:\/\/\S*\{traceId\}\S*)?$/, { message: 'BOARD_TRACE_URL must be an http(s) URL holding {traceId}, or empty' })
  BOARD_TRACE_URL = '';
}
