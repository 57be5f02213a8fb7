import type { MongoClient } from 'mongodb';

/** Whether a dependency is reachable now, and a way to hear when that changes. */
export interface Availability {
  readonly up: boolean;
  /** Called on every change (not repeated for the same state); returns an unsubscribe. */
  onChange(listener: (up: boolean) => void): () => void;
}

/**
 * Follows the driver's own server monitoring (SDAM): MongoDB counts as up while the topology has
 * a data-bearing server. The monitor marks the server Unknown on the first failed heartbeat or
 * network error of any operation, and known again on the next successful hello, so this needs no
 * traffic of its own beyond the driver's heartbeats.
 */
export function watchMongoAvailability(client: MongoClient): Availability {
  const signal = new AvailabilitySignal(true);
  client.on('topologyDescriptionChanged', (event) => signal.set(event.newDescription.hasDataBearingServers));
  // A closed client is not coming back.
  client.on('topologyClosed', () => signal.set(false));
  return signal;
}

/** An Availability that its watcher sets: listeners hear each change once. */
export class AvailabilitySignal implements Availability {
  private readonly listeners = new Set<(up: boolean) => void>();

  constructor(private state: boolean) {}

  get up(): boolean {
    return this.state;
  }

  set(next: boolean): void {
    if (next === this.state) return;
    this.state = next;
    for (const l of this.listeners) l(next);
  }

  onChange(listener: (up: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
