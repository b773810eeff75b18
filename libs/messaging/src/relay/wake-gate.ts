import { committedBefore, Snapshot } from './snapshot';

/** Wakes told of beyond this many transaction ids count as one wake that names none. */
const MAX_PENDING_XIDS = 10_000;

/**
 * Wakes of the relay's loop, and the snapshot gating that decides whether a claim can find new rows. A wake
 * (the service's own commit, or a commit's NOTIFY) names the committed transaction when it can; the relay
 * reads a snapshot just before each claim, and a commit visible in it needs no further claim. A commit can be
 * told twice (its process's wake, then its NOTIFY), and each would otherwise cost an empty claim (a round
 * trip) after every publish.
 */
export class WakeGate {
  private wakeUp: (() => void) | null = null;
  /** A wake that did not say which transaction committed: the next idle claims again. */
  private pendingWake = false;
  /** Transactions told of (NOTIFY, local commits) since the last claim began. */
  private pendingXids: bigint[] = [];
  /** The snapshot read just before the last claim: commits visible in it need no further claim. */
  private lastSnapshot: Snapshot | null = null;

  /**
   * A commit was told of (`xid`: its transaction, null: not known, or just "look now"). A wake for rows
   * that a claim begun after that commit already saw is dropped; any other ends a sleep at once.
   */
  wake(xid: bigint | null = null): void {
    if (xid === null) this.pendingWake = true;
    else if (this.lastSnapshot && committedBefore(xid, this.lastSnapshot)) return;
    else if (this.pendingXids.push(xid) > MAX_PENDING_XIDS) this.pendingWake = true;
    this.wakeUp?.();
  }

  /** A claim begins: a commit told of from here on is checked against the snapshot it reads (see wokenSinceClaim). */
  claimStarted(): void {
    this.pendingWake = false;
    this.pendingXids = [];
  }

  /** The snapshot read just before the claim: every commit it holds was visible to the claim too. */
  claimed(snapshot: Snapshot): void {
    this.lastSnapshot = snapshot;
  }

  /**
   * The last claim's snapshot says nothing about what is left: its rows were not all sent, or a new session
   * may reach another server (a failover, a restore). Wakes are no longer dropped on its strength.
   */
  forgetSnapshot(): void {
    this.lastSnapshot = null;
  }

  /** The last claim may have left rows behind (a full batch not sent as one): the next idle claims again at once. */
  claimAgain(): void {
    this.pendingWake = true;
  }

  /** Whether a commit was told of that the last claim may not have seen (and forgets the wakes told so far). */
  wokenSinceClaim(): boolean {
    // a commit told of during the last claim may have been visible to it: then it needs no new claim
    const snapshot = this.lastSnapshot;
    const uncovered = this.pendingXids.some((xid) => !snapshot || !committedBefore(xid, snapshot));
    const woken = this.pendingWake || uncovered;
    this.pendingWake = false;
    this.pendingXids = [];
    return woken;
  }

  /** Waits `ms` or until woken; returns whether it was woken (and forgets the wakes told so far). */
  async sleep(ms: number): Promise<boolean> {
    const woken = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => done(false), ms);
      const done = (byWake: boolean) => {
        clearTimeout(timer);
        resolve(byWake);
      };
      this.wakeUp = () => done(true);
    });
    this.wakeUp = null;
    this.pendingWake = false;
    this.pendingXids = [];
    return woken;
  }
}
