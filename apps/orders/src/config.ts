import { IsBoolean, IsInt, Max, Min } from 'class-validator';
import { BaseConfig, ToBool, ToInt } from '@app/platform';

/** orders: the shared settings and the saga deadline; see .env.example. */
export class OrdersConfig extends BaseConfig {
  override PORT = 3000;

  /**
   * An order still PENDING or RESERVED this many seconds after it was placed is cancelled by the
   * system (0: never). Long enough to ride out an outage; it is the safety net for an order whose
   * next event was dead-lettered and will never come.
   */
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(604800)
  ORDER_DEADLINE_SECONDS = 1800;

  /**
   * Cancel an order as soon as a service's handler gives up on an event the order still waits for (the step
   * will never happen; see DeadLetteredOrders), instead of at its deadline. Off: such orders wait for the
   * deadline, e.g. while an operator replays dead letters by hand. The same on every replica.
   */
  @ToBool()
  @IsBoolean({ message: 'CANCEL_ON_DEAD_LETTER must be true or false' })
  CANCEL_ON_DEAD_LETTER = true;

  /**
   * Place-order transactions in flight at once (keep it below DB_POOL_SIZE: consumers and reads
   * share the pool). Orders that arrive while all are busy wait and commit together in the next one.
   */
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(100)
  INTAKE_TRANSACTIONS = 4;

  /** Most orders committed in one place-order transaction (1: a transaction per order). */
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(1000)
  INTAKE_MAX_BATCH = 64;
}
