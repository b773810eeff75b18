/**
 * Maps the logical topic names of @app/contracts to the physical names on the cluster. A prefix
 * lets several deployments (or test runs) share one cluster without seeing each other's events.
 */
export class TopicNames {
  constructor(readonly prefix: string = '') {}

  physical(logical: string): string {
    return `${this.prefix}${logical}`;
  }

  logical(physical: string): string {
    return this.prefix && physical.startsWith(this.prefix) ? physical.slice(this.prefix.length) : physical;
  }
}
