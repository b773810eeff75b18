/** What a relay has done so far, for logs, health and tests (one object, updated in place by the relay's parts). */
export interface RelayStats {
  published: number;
  batches: number;
  failures: number;
  quarantined: number;
  ownedLanes: number;
  lastError: string | null;
  lastPublishedAt: Date | null;
  running: boolean;
  /** Claims that found nothing to publish (the poll, or a wake for rows another claim already took). */
  emptyClaims: number;
  /** Relay instances over this outbox, this one included, at the last rebalance (null: not known yet). */
  members: number | null;
}

export function newRelayStats(): RelayStats {
  return {
    published: 0,
    batches: 0,
    failures: 0,
    quarantined: 0,
    ownedLanes: 0,
    lastError: null,
    lastPublishedAt: null,
    running: false,
    emptyClaims: 0,
    members: null,
  };
}
