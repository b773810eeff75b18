import { MessagingTables1732300000000 } from './1732300000000-messaging-tables';
import { OutboxNotifyXid1763900000000 } from './1763900000000-outbox-notify-xid';
import { InboxProcessedAt1763900000100 } from './1763900000100-inbox-processed-at';
import { OutboxNotifyOnDemand1763900000200 } from './1763900000200-outbox-notify-on-demand';
import { OutboxTraceContext1765000000000 } from './1765000000000-outbox-trace-context';

export {
  MessagingTables1732300000000,
  OutboxNotifyXid1763900000000,
  InboxProcessedAt1763900000100,
  OutboxNotifyOnDemand1763900000200,
  OutboxTraceContext1765000000000,
};

/** The messaging tables' migrations, in order: every database with an outbox or an inbox runs them. */
export const MESSAGING_MIGRATIONS = [
  MessagingTables1732300000000,
  OutboxNotifyXid1763900000000,
  InboxProcessedAt1763900000100,
  OutboxNotifyOnDemand1763900000200,
  OutboxTraceContext1765000000000,
];
