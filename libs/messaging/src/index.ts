// What services and the platform use of messaging; the rest is internal (tests and benchmarks reach it
// through `@app/messaging/<path>`).

// the module and its options
export { MessagingModule } from './messaging.module';
export { MESSAGING_OPTIONS, type MessagingOptions } from './messaging.options';
export { MESSAGING_MIGRATIONS } from './migrations';

// writing events: in the caller's transaction
export { Outbox } from './outbox/outbox.service';

// consuming events: handlers declared on providers, errors they may throw
export { OnEvent, OnMessage, type EventHandler, type RawMessage, type RawMessageHandler } from './consumer/on-event';
export { PermanentEventError } from './inbox/inbox-consumer';
export { isTransientError } from './errors';

// logging: the service's JSON logger (set at start), the line of each event handled
export { serviceLog, useServiceLog, eventLinesOn, EVENT_LINE_LEVEL } from './logging/service-log';

// wiring a service: its Kafka transport, its relay (in the service or alone)
export { ensureServiceTopics, createKafkaTransport } from './kafka/kafka-transport';
export { createOutboxRelay } from './relay/relay-factory';
export { InboxConsumer } from './inbox/inbox-consumer';
export { OutboxRelayService } from './relay/outbox-relay.service';

// health
export { KafkaProbeService, KafkaServerRef, kafkaUsable, kafkaProblem, type KafkaProbe } from './kafka/kafka-health';
export { MessagingMetrics, LATENCY_BUCKETS, partitionLags, type RelayMetrics, type EventTypeMetrics, type PartitionLag } from './metrics/messaging-metrics';
export { ConsumerLagReader } from './metrics/consumer-lag';
export { createKafka } from './kafka/kafka-client';
export { TopicNames, consumerGroupOf } from './kafka/topic-names';

// tracing (on only when the service started the OpenTelemetry SDK; every function is free when off)
export { currentTraceId, captureTraceContext, withTraceContext, nameServerSpan, shutdownTracing, tracingEnabled, type TraceContext } from './tracing/tracing';
