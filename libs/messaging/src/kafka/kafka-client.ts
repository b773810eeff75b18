import { Kafka, KafkaConfig, logLevel, LogEntry } from 'kafkajs';
import { MessagingOptions } from '../messaging.options';
import { serviceLog } from '../logging/service-log';
import { guardKafkaJsConsumerFailover } from './kafkajs-consumer-failover';
import { fixKafkaJsIdleLoop } from './kafkajs-idle-loop';

// before any client connects: every kafkajs client of the process goes through this module
fixKafkaJsIdleLoop();
guardKafkaJsConsumerFailover();

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** kafkajs logs through the service's logger, at WARN and above unless asked for more: its details as the line's fields. */
export function kafkaLogCreator() {
  return () => (entry: LogEntry) => {
    // (its own timestamp and logger name would repeat the line's time and context)
    const { message, timestamp: _timestamp, logger: _logger, ...extra } = entry.log as LogEntry['log'] & { logger?: string };
    serviceLog()[LEVELS[entry.level] ?? 'info']({ context: `kafkajs:${entry.namespace}`, ...extra }, message);
  };
}

export function kafkaClientConfig(options: Pick<MessagingOptions, 'brokers' | 'verboseKafkaLogs'>, clientId: string): KafkaConfig {
  return {
    clientId,
    brokers: options.brokers,
    logLevel: options.verboseKafkaLogs ? logLevel.INFO : logLevel.WARN,
    logCreator: kafkaLogCreator,
    connectionTimeout: 3000,
    requestTimeout: 10000,
    retry: { initialRetryTime: 200, retries: 8, maxRetryTime: 5000 },
  };
}

export function createKafka(options: Pick<MessagingOptions, 'brokers' | 'verboseKafkaLogs'>, clientId: string): Kafka {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  return new Kafka(kafkaClientConfig(options, clientId));
}
