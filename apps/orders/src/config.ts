import { IsInt, Max, Min } from 'class-validator';
import { BaseConfig, ToInt } from '@app/platform';

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
}
