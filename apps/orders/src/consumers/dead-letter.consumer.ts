import { Controller, Logger } from '@nestjs/common';
import { Ctx, EventPattern, KafkaContext } from '@nestjs/microservices';
import { deadLetterTopicOf, readDeadLetter, Topics } from '@app/contracts';
import { ConsumerStoppingError, InboxConsumer } from '@app/messaging';
import { DeadLetteredOrders } from '../application/dead-lettered-order.service';

/**
 * orders watches the saga's dead-letter topics: an order whose event a service gave up on is ended at once
 * (see DeadLetteredOrders) instead of at its deadline. Registered unless CANCEL_ON_DEAD_LETTER=false.
 */
@Controller()
export class DeadLetterConsumer {
  private readonly logger = new Logger(DeadLetterConsumer.name);

  constructor(
    private readonly inbox: InboxConsumer,
    private readonly orders: DeadLetteredOrders,
  ) {}

  @EventPattern(deadLetterTopicOf(Topics.OrdersEvents))
  onOrdersDeadLetter(_: unknown, @Ctx() ctx: KafkaContext): Promise<void> {
    return this.handle(ctx);
  }

  @EventPattern(deadLetterTopicOf(Topics.InventoryEvents))
  onInventoryDeadLetter(_: unknown, @Ctx() ctx: KafkaContext): Promise<void> {
    return this.handle(ctx);
  }

  @EventPattern(deadLetterTopicOf(Topics.ShippingEvents))
  onShippingDeadLetter(_: unknown, @Ctx() ctx: KafkaContext): Promise<void> {
    return this.handle(ctx);
  }

  private async handle(ctx: KafkaContext): Promise<void> {
    const message = ctx.getMessage();
    const where = `${ctx.getTopic()}[${ctx.getPartition()}]@${message.offset}`;
    const letter = readDeadLetter(message.key, message.headers);
    try {
      await this.inbox.retryingTransient(ctx, `ending the order of dead letter ${where}`, () => this.orders.end(letter, where));
    } catch (err) {
      // not transient and not a business outcome: the order keeps its deadline, which ends it later
      if (err instanceof ConsumerStoppingError) throw err;
      this.logger.error(`dead letter ${where}: could not end order ${letter.key}: ${(err as Error).message}; its deadline will`);
    }
  }
}
