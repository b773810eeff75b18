import { DynamicModule, Module } from '@nestjs/common';
import { ServiceModule } from '@app/platform';
import { OrdersConfig } from './config';
import { IdempotencyKeyEntity, OrderEntity, OrderTimelineEntity } from './persistence/order.entity';
import { ORDERS_MIGRATIONS } from './persistence/migrations';
import { OrdersRepository } from './persistence/orders.repository';
import { PlaceOrderService } from './application/place-order.service';
import { CancelOrderService } from './application/cancel-order.service';
import { OrderQueries } from './application/order-queries.service';
import { ApplyOrderEvent } from './application/apply-event.service';
import { OrderDeadline } from './application/order-deadline.service';
import { ORDER_INTAKE_OPTIONS, OrderIntake } from './application/order-intake';
import { OrdersController } from './http/orders.controller';
import { OrderEventsConsumer } from './consumers/order-events.consumer';
import { DeadLetterConsumer } from './consumers/dead-letter.consumer';
import { DeadLetteredOrders } from './application/dead-lettered-order.service';
import { OrderMetrics } from './application/order-metrics';
import { OrderChanges } from './application/order-changes';
import { OrderBoard } from './application/board/order-board.service';
import { BoardController } from './http/board.controller';

@Module({})
export class OrdersModule {
  static register(config: OrdersConfig): DynamicModule {
    return {
      module: OrdersModule,
      imports: [
        ServiceModule.forRoot({
          service: 'orders',
          config,
          entities: [OrderEntity, OrderTimelineEntity, IdempotencyKeyEntity],
          migrations: ORDERS_MIGRATIONS,
        }),
      ],
      controllers: [OrdersController, ...(config.BOARD_ENABLED ? [BoardController] : [])],
      providers: [
        OrderEventsConsumer,
        ...(config.CANCEL_ON_DEAD_LETTER ? [DeadLetterConsumer] : []),
        OrdersRepository,
        OrderIntake,
        // an order waits for a transaction as long as a request would wait for a pooled connection (5 s)
        { provide: ORDER_INTAKE_OPTIONS, useValue: { concurrency: config.INTAKE_TRANSACTIONS, maxBatch: config.INTAKE_MAX_BATCH, waitTimeoutMs: 5000 } },
        PlaceOrderService,
        CancelOrderService,
        OrderQueries,
        ApplyOrderEvent,
        OrderDeadline,
        DeadLetteredOrders,
        OrderChanges,
        OrderMetrics,
        ...(config.BOARD_ENABLED ? [OrderBoard] : []),
      ],
    };
  }
}
