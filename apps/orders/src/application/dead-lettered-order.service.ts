import { Injectable, Logger } from '@nestjs/common';
import { DeadLetter } from '@app/contracts';
import { deadLetterStep } from '../domain/dead-letter.decide';
import { CancelOrderService } from './cancel-order.service';

export type DeadLetterOutcome = 'cancelled' | 'not-a-step' | 'moved-on' | 'unknown-order';

/**
 * A service of the saga gave up on an event of an order (it is on a dead-letter topic): if it was a step
 * the order still waits for, the order would otherwise wait for its deadline (ORDER_DEADLINE_SECONDS). It is
 * cancelled now instead, through the customer's cancel path: OrderCancelled has inventory release what it
 * reserved and shipping cancel any shipment. The cancel locks the order and checks that it still waits for
 * that step, so the same letter twice, two services' letters of one event, or an old letter read again
 * (the feature turned back on) cancel nothing that has moved on.
 */
@Injectable()
export class DeadLetteredOrders {
  private readonly logger = new Logger(DeadLetteredOrders.name);

  constructor(private readonly cancels: CancelOrderService) {}

  async end(letter: DeadLetter, where: string, now = new Date()): Promise<DeadLetterOutcome> {
    const step = deadLetterStep(letter);
    const what = `dead letter ${where} (${letter.consumer}, ${letter.eventType ?? 'no event type'}, ${letter.errorCode}: ${letter.errorMessage})`;
    if (!step.stops) {
      this.logger.warn(`${what} leaves its order as it is: ${step.why}`);
      return 'not-a-step';
    }
    const outcome = await this.cancels.cancelIfStillWaiting(step.orderId, step.waitsIn, step.reason, now);
    switch (outcome.kind) {
      case 'cancelled':
        this.logger.warn({ msg: `order ${step.orderId} cancelled: ${what}`, orderId: step.orderId });
        return 'cancelled';
      case 'not-found':
        this.logger.warn({ msg: `${what} names order ${step.orderId}, which this service does not have`, orderId: step.orderId });
        return 'unknown-order';
      case 'not-cancellable':
        this.logger.log({ msg: `${what}: ${outcome.error.message}`, orderId: step.orderId });
        return 'moved-on';
    }
  }
}
