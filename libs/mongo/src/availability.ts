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
  let up = true;
  const listeners = new Set<(up: boolean) => void>();
  const set = (next: boolean) => {
    if (next === up) return;
    up = next;
    for (const l of listeners) l(up);
  };
  client.on('topologyDescriptionChanged', (event) => set(event.newDescription.hasDataBearingServers));
  // A closed client is not coming back.
  client.on('topologyClosed', () => set(false));
  return {
    get up() {
      return up;
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
