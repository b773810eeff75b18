import { DynamicModule, Global, Module, OnApplicationShutdown } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { MESSAGING_OPTIONS, MessagingOptions } from './messaging.options';
import { Outbox, OUTBOX_WAKE_POLICY } from './outbox/outbox.service';
import { OutboxRelayService } from './relay/outbox-relay.service';
import { InboxConsumer } from './inbox/inbox-consumer';
import { EventRouter } from './consumer/event-router';
import { InboxPruner } from './inbox/inbox-pruner';
import { DeadLetterPublisher } from './inbox/dead-letter.publisher';
import { KafkaProbeService, KafkaServerRef } from './kafka/kafka-health';
import { shutdownTracing } from './tracing/tracing';

/** Outbox, relay, inbox and dead-letter handling for one service. Needs TypeORM's DataSource. */
@Global()
@Module({})
export class MessagingModule implements OnApplicationShutdown {
  /** Nest calls a module's own hook after its providers': the relay's last sends are traced, then exported (tracing on). */
  async onApplicationShutdown(): Promise<void> {
    await shutdownTracing();
  }

  static forRoot(options: MessagingOptions): DynamicModule {
    const providers = [
      { provide: MESSAGING_OPTIONS, useValue: options },
      Outbox,
      OutboxRelayService,
      { provide: OUTBOX_WAKE_POLICY, useExisting: OutboxRelayService },
      EventRouter,
      InboxConsumer,
      InboxPruner,
      DeadLetterPublisher,
      KafkaServerRef,
      KafkaProbeService,
    ];
    return { module: MessagingModule, imports: [DiscoveryModule], providers, exports: providers };
  }
}
