import { Injectable, Logger } from '@nestjs/common';
import { DeadLetter } from '@app/contracts';
import { DomainError } from '@app/platform';
import { decideOnDeadLetter } from '../domain/dead-letter.decide';
import { CancelOrderService } from './cancel-order.service';

export type DeadLetterOutcome = 'cancelled' | 'not-a-step' | 'already-final' | 'unknown-order';

/**
 * A service of the saga gave up on an event of an order (it is on a dead-letter topic): if it was a step
 * the order needs to move on, the order would otherwise wait for its deadline (ORDER_DEADLINE_SECONDS). It is
 * cancelled now instead, through the customer's cancel path: OrderCancelled has inventory release what it
 * reserved and shipping cancel any shipment, and the reason names the service and its error. An order
 * already final is left as it is (logged for an operator). Idempotent: the cancel locks the order and checks
 * its status, so the same dead letter twice, or two services' dead letters of one event, cancel once.
 */
@Injectable()
export class DeadLetteredOrders {
  private readonly logger = new Logger(DeadLetteredOrders.name);

  constructor(private readonly cancels: CancelOrderService) {}

  async end(letter: DeadLetter, where: string, now = new Date()): Promise<DeadLetterOutcome> {
    const decision = decideOnDeadLetter(letter);
    if (!decision.cancel) {
      this.logger.warn(`dead letter ${where} (${letter.consumer}: ${letter.errorCode}) leaves its order as it is: ${decision.why}`);
      return 'not-a-step';
    }
    const orderId = letter.key!;
    try {
      await this.cancels.cancel(orderId, decision.reason, now);
      this.logger.warn(`order ${orderId} cancelled: ${decision.reason}`);
      return 'cancelled';
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      if (err.code === 'ORDER_NOT_FOUND') {
        this.logger.warn(`dead letter ${where} names order ${orderId}, which this service does not have`);
        return 'unknown-order';
      }
      if (err.code === 'ORDER_NOT_CANCELLABLE') {
        this.logger.warn(
          `dead letter ${where}: ${letter.consumer} could not apply ${letter.eventType} (${letter.errorCode}), but ${err.message}; left for an operator`,
        );
        return 'already-final';
      }
      throw err;
    }
  }
}
