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

/**
 * The Kafka consumer group of a service's deployment: its topic prefix in front of the service name.
 * Deployments sharing a cluster under different prefixes then never share a group (whose leader would
 * share out only its own deployment's topics); without a prefix it is the service name, as it always was.
 * Everything that reads a group's offsets by name must use this.
 */
export function consumerGroupOf(service: string, prefix = ''): string {
  return `${prefix}${service}`;
}
