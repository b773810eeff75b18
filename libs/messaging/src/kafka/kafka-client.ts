import { Kafka, KafkaConfig, logLevel, LogEntry } from 'kafkajs';
import { Logger } from '@nestjs/common';
import { MessagingOptions } from '../messaging.options';
import { fixKafkaJsIdleLoop } from './kafkajs-idle-loop';

// before any client connects: every kafkajs client of the process goes through this module
fixKafkaJsIdleLoop();

const LEVELS: Record<number, 'error' | 'warn' | 'log' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'log',
  [logLevel.DEBUG]: 'debug',
};

/** kafkajs logs through Nest's logger, at WARN and above unless asked for more. */
export function kafkaLogCreator() {
  return () => (entry: LogEntry) => {
    const level = LEVELS[entry.level] ?? 'log';
    const { message, ...extra } = entry.log;
    new Logger(`kafkajs:${entry.namespace}`)[level](`${message} ${JSON.stringify(extra)}`);
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
