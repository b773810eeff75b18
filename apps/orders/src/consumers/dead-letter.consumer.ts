import { Injectable, Logger } from '@nestjs/common';
import { deadLetterTopicOf, readDeadLetter, Topics } from '@app/contracts';
import { isTransientError, OnMessage, RawMessage } from '@app/messaging';
import { DeadLetteredOrders } from '../application/dead-lettered-order.service';

/**
 * orders watches the saga's dead-letter topics: an order whose event a service gave up on is ended at once
 * (see DeadLetteredOrders) instead of at its deadline. Registered unless CANCEL_ON_DEAD_LETTER=false.
 */
@Injectable()
export class DeadLetterConsumer {
  private readonly logger = new Logger(DeadLetterConsumer.name);

  constructor(private readonly orders: DeadLetteredOrders) {}

  @OnMessage(deadLetterTopicOf(Topics.OrdersEvents))
  onOrdersDeadLetter(message: RawMessage): Promise<void> {
    return this.handle(message);
  }

  @OnMessage(deadLetterTopicOf(Topics.InventoryEvents))
  onInventoryDeadLetter(message: RawMessage): Promise<void> {
    return this.handle(message);
  }

  @OnMessage(deadLetterTopicOf(Topics.ShippingEvents))
  onShippingDeadLetter(message: RawMessage): Promise<void> {
    return this.handle(message);
  }

  /** Transient failures go back to the consumer, which retries them; the deadline ends an order this could not. */
  private async handle(message: RawMessage): Promise<void> {
    const where = `${message.topic}[${message.partition}]@${message.offset}`;
    const letter = readDeadLetter(message.key, message.headers);
    try {
      await this.orders.end(letter, where);
    } catch (err) {
      if (isTransientError(err)) throw err;
      this.logger.error(`dead letter ${where}: could not end order ${letter.key}: ${(err as Error).message}; its deadline will`);
    }
  }
}
