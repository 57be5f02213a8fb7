import type { Logger } from '@flix/logging';

/** The dependencies the host watches; every one is required for readiness. */
export type DependencyName = 'mongodb' | 'nats';
export type DependencyState = 'up' | 'down';

/** Anything that reports whether a dependency is reachable (MongoConnection/NatsClients.availability). */
export interface AvailabilitySource {
  readonly up: boolean;
  onChange(listener: (up: boolean) => void): () => void;
}

/** What /healthz answers with, and gRPC health follows. */
export interface ReadinessReport {
  ready: boolean;
  /** `starting` until composed, `stopping` from the first moment of shutdown. */
  status: 'ready' | 'starting' | 'unavailable' | 'stopping';
  dependencies: Partial<Record<DependencyName, DependencyState>>;
}

/**
 * The service's readiness: ready once started and while every watched dependency is up. A
 * dependency going away makes it not ready (the gateway and the platform stop routing here)
 * without stopping the process; it turns ready again by itself when the dependency is back.
 */
export class Readiness {
  private phase: 'starting' | 'started' | 'stopping' = 'starting';
  private readonly states = new Map<DependencyName, DependencyState>();
  private readonly unsubscribe: Array<() => void> = [];
  private readonly listeners = new Set<(ready: boolean) => void>();
  private wasReady = false;

  constructor(private readonly logger: Logger) {}

  watch(name: DependencyName, source: AvailabilitySource): void {
    this.states.set(name, source.up ? 'up' : 'down');
    this.unsubscribe.push(
      source.onChange((up) => {
        this.states.set(name, up ? 'up' : 'down');
        if (up) this.logger.info({ dependency: name }, `${name} is reachable again`);
        else this.logger.warn({ dependency: name }, `${name} is unreachable; not ready until it is back`);
        this.changed();
      }),
    );
  }

  started(): void {
    this.phase = 'started';
    this.changed();
  }

  stopping(): void {
    this.phase = 'stopping';
    for (const u of this.unsubscribe.splice(0)) u();
    this.changed();
  }

  /** Called with the new readiness whenever it flips. */
  onChange(listener: (ready: boolean) => void): void {
    this.listeners.add(listener);
  }

  /** Whether `name` is known to be away now (false for one not watched). */
  isDown(name: DependencyName): boolean {
    return this.states.get(name) === 'down';
  }

  get ready(): boolean {
    return this.phase === 'started' && [...this.states.values()].every((s) => s === 'up');
  }

  report(): ReadinessReport {
    const dependencies = Object.fromEntries(this.states) as ReadinessReport['dependencies'];
    const ready = this.ready;
    const status = this.phase === 'stopping' ? 'stopping' : this.phase === 'starting' ? 'starting' : ready ? 'ready' : 'unavailable';
    return { ready, status, dependencies };
  }

  private changed(): void {
    const ready = this.ready;
    if (ready === this.wasReady) return;
    this.wasReady = ready;
    for (const l of this.listeners) l(ready);
  }
}
