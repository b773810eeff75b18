import { Injectable } from '@nestjs/common';
import { deadLetterTopicOf, readDeadLetter, Topics } from '@app/contracts';
import { OnMessage, RawMessage } from '@app/messaging';
import { DeadLetteredOrders } from '../application/dead-lettered-order.service';

/**
 * orders watches the saga's dead-letter topics: an order whose event a service gave up on is ended at once
 * (see DeadLetteredOrders) instead of at its deadline. Registered unless CANCEL_ON_DEAD_LETTER=false.
 */
@Injectable()
export class DeadLetterConsumer {
  constructor(private readonly orders: DeadLetteredOrders) {}

  @OnMessage(deadLetterTopicOf(Topics.OrdersEvents))
  onOrdersDeadLetter(message: RawMessage): Promise<unknown> {
    return this.handle(message);
  }

  @OnMessage(deadLetterTopicOf(Topics.InventoryEvents))
  onInventoryDeadLetter(message: RawMessage): Promise<unknown> {
    return this.handle(message);
  }

  @OnMessage(deadLetterTopicOf(Topics.ShippingEvents))
  onShippingDeadLetter(message: RawMessage): Promise<unknown> {
    return this.handle(message);
  }

  /**
   * The consumer retries a transient failure, and skips the letter after any other (logged): its order is then
   * ended by its deadline. A failure while the service stops leaves the letter to be read again.
   */
  private handle(message: RawMessage): Promise<unknown> {
    return this.orders.end(readDeadLetter(message.key, message.headers), `${message.topic}[${message.partition}]@${message.offset}`);
  }
}
