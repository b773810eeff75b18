import { IsBoolean, IsInt, Max, Min } from 'class-validator';
import { BaseConfig, Setting, ToBool, ToInt } from '@app/platform';

/** orders: the shared settings, the saga deadline and the group commit of new orders (see docs/configuration.md). */
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
}
