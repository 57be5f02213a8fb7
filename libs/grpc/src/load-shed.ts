import { DomainError } from '@flix/errors';
import { Counter, Gauge } from 'prom-client';

export const rpcShed = new Counter({
  name: 'flix_grpc_server_shed_total',
  help: 'Calls refused at once with UNAVAILABLE because the service already had its maximum of calls in flight',
  labelNames: ['service', 'method'] as const,
});

const rpcInflight = new Gauge({
  name: 'flix_grpc_server_inflight_calls',
  help: 'Calls being handled now',
  labelNames: ['service'] as const,
});

/** Seconds a shed caller is told to wait. */
export const SHED_RETRY_AFTER_SECONDS = 1;

/**
 * Bounds the calls a service handles at once. A call beyond the limit is refused immediately
 * (the caller retries elsewhere or later) instead of queueing without bound, which would only
 * grow memory and make every call slow. Health checks are a separate gRPC service and never
 * pass through here.
 */
export class InflightLimit {
  private inflight = 0;

  constructor(
    private readonly service: string,
    readonly max: number,
  ) {}

  /** Takes a slot, or returns false when all are taken (and counts the shed call). */
  tryAcquire(method: string): boolean {
    if (this.inflight >= this.max) {
      rpcShed.inc({ service: this.service, method });
      return false;
    }
    this.inflight++;
    rpcInflight.set({ service: this.service }, this.inflight);
    return true;
  }

  release(): void {
    this.inflight = Math.max(0, this.inflight - 1);
    rpcInflight.set({ service: this.service }, this.inflight);
  }

  get current(): number {
    return this.inflight;
  }
}

export const overloaded = (service: string, max: number): DomainError =>
  new DomainError('unavailable', 'OVERLOADED', `${service} is handling its maximum of ${max} calls; retry shortly`, [], { service, limit: String(max) }, SHED_RETRY_AFTER_SECONDS);
