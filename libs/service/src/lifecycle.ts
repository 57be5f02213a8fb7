import type { Logger } from '@flix/logging';

/** Anything the host stops on shutdown: consumers, pollers, relays. */
export interface Stoppable {
  stop(): Promise<void>;
}

/** Clients of other services and similar handles that close synchronously. */
export interface Closeable {
  close(): void;
}

/**
 * The order a service winds down in. Each phase finishes before the next begins; within a
 * phase the last registered stops first, as things start in dependency order.
 *
 * - `tasks`: timers and pollers, so nothing new starts (runs in flight are awaited);
 * - `serving`: the gRPC server stops accepting calls and finishes those in flight, then the
 *   ops HTTP server closes (readiness already answers 503);
 * - `drain`: the service's own in-flight work (playback's coalesced progress writes);
 * - `consumers`: durable consumers drain, still able to ack and publish;
 * - `final`: last writes once no call or event arrives (analytics' closing alert evaluation);
 * - `outbox`: the relay publishes what is left;
 * - `connections`: clients of other services close, NATS drains, MongoDB closes.
 */
export const SHUTDOWN_PHASES = ['tasks', 'serving', 'drain', 'consumers', 'final', 'outbox', 'connections'] as const;
export type ShutdownPhase = (typeof SHUTDOWN_PHASES)[number];

export class ShutdownPlan {
  private readonly steps = new Map<ShutdownPhase, Array<{ name: string; run: () => Promise<void> | void }>>(
    SHUTDOWN_PHASES.map((p) => [p, []]),
  );

  constructor(private readonly logger: Logger) {}

  add(phase: ShutdownPhase, name: string, run: () => Promise<void> | void): void {
    this.steps.get(phase)!.push({ name, run });
  }

  /** Runs every step; one failing step is logged and does not keep the others from running. */
  async run(): Promise<void> {
    for (const phase of SHUTDOWN_PHASES) {
      for (const step of [...this.steps.get(phase)!].reverse()) {
        try {
          await step.run();
        } catch (err) {
          this.logger.warn({ err, phase, step: step.name }, 'shutdown step failed');
        }
      }
    }
  }
}

/**
 * A task run every `intervalMs` (0: only when runNow is called); runs never overlap, and stop()
 * waits for the one in flight.
 */
export class PeriodicTask implements Stoppable {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    readonly name: string,
    private readonly intervalMs: number,
    private readonly task: () => Promise<unknown>,
    private readonly logger: Logger,
  ) {}

  start(): this {
    if (this.intervalMs <= 0) return this;
    this.timer = setInterval(() => void this.runNow().catch(() => undefined), this.intervalMs);
    this.timer.unref();
    return this;
  }

  /**
   * Runs the task now (or joins the run in flight). A failure is logged and returned to the
   * caller; on the timer it is only logged, and the next period tries again.
   */
  runNow(): Promise<void> {
    this.running ??= this.task()
      .then(() => undefined)
      .catch((err: unknown) => {
        this.logger.warn({ err: err instanceof Error ? err.message : String(err), task: this.name }, 'periodic task failed; it runs again next period');
        throw err;
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }
}
