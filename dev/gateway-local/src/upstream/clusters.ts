/**
 * Clusters as Envoy runs them: their hosts (YAML addresses, or the local `upstreams` override),
 * round-robin over healthy hosts with Envoy's panic mode, and active gRPC health checks that
 * follow Envoy's rules (a new host is unhealthy until its first successful check; a non-SERVING
 * answer ejects at once, network failures after unhealthy_threshold in a row).
 *
 * With `outlier_detection`, requests are checks too (passive health checking): requests that
 * could not reach the host (connect refused or timed out, reset, request timeout: Envoy's locally
 * originated errors) `consecutive_local_origin_failure` times in a row eject it at once, so
 * /healthz names a service that died between two active checks from the first request that
 * found it gone. The next passing active check un-ejects it; without active checks the ejection
 * lasts base_ejection_time × the number of ejections so far (up to max_ejection_time).
 */
import type { Logger } from '@flix/logging';
import type { Cluster, HealthCheck } from '../config/envoy-config.js';
import { EnvoyConfigError } from '../config/reader.js';
import { H2Pool, type FailureKind } from './h2.js';

export interface Host {
  host: string;
  port: number;
  /** As the active health checks see it. */
  healthy: boolean;
  /** No check has succeeded yet. */
  pending: boolean;
  consecutiveFailures: number;
  consecutiveSuccesses: number;
  /** Ejected by outlier detection (passive health checking); counts as unhealthy. */
  ejected: boolean;
  /** Requests in a row that failed with a locally originated error. */
  localOriginFailures: number;
  /** Times ejected so far: the n-th ejection lasts n × base_ejection_time (no active checks). */
  ejections: number;
}

/** Usable for load balancing and /healthz: passing active checks and not ejected. */
export const isHealthy = (h: Host): boolean => h.healthy && !h.ejected;

/** Below this share of healthy hosts Envoy ignores health and uses all hosts (panic mode). */
const PANIC_THRESHOLD = 0.5;

export function parseAddress(value: string, where: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(value) ?? /^([^:]+):(\d+)$/.exec(value);
  if (!m) throw new EnvoyConfigError(`${where}: expected host:port, got ${JSON.stringify(value)}`);
  return { host: m[1]!, port: Number(m[2]) };
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}

export class RuntimeCluster {
  readonly hosts: Host[];
  private next = 0;
  private carriedTraffic = false;
  private timers: NodeJS.Timeout[] = [];
  private stopped = false;

  constructor(
    readonly config: Cluster,
    override: string | undefined,
    private readonly pool: H2Pool,
    private readonly logger: Logger,
  ) {
    const addresses = override !== undefined ? [parseAddress(override, `upstreams.${config.name}`)] : config.endpoints;
    const checked = config.healthChecks.length > 0;
    this.hosts = addresses.map((a) => ({
      ...a,
      healthy: !checked,
      pending: checked,
      consecutiveFailures: 0,
      consecutiveSuccesses: 0,
      ejected: false,
      localOriginFailures: 0,
      ejections: 0,
    }));
  }

  get name(): string {
    return this.config.name;
  }

  get http2(): boolean {
    return this.config.http2;
  }

  membership(): { total: number; healthy: number } {
    return { total: this.hosts.length, healthy: this.hosts.filter(isHealthy).length };
  }

  /** The next host for a request, or undefined when the cluster has none. */
  pick(): Host | undefined {
    this.carriedTraffic = true;
    if (this.hosts.length === 0) return undefined;
    const healthy = this.hosts.filter(isHealthy);
    const candidates = healthy.length / this.hosts.length < PANIC_THRESHOLD ? this.hosts : healthy;
    const host = candidates[this.next % candidates.length]!;
    this.next++;
    return host;
  }

  /**
   * What a request to `host` came to, for outlier detection: a locally originated failure (it
   * never got an answer from the host), or an answer, whatever its status (a service's own 503 is
   * not a dead host). Does nothing for a cluster without outlier_detection.
   */
  reportRequest(host: Host, failure: FailureKind | null): void {
    const od = this.config.outlierDetection;
    if (!od) return;
    if (failure === null) {
      host.localOriginFailures = 0;
      return;
    }
    host.localOriginFailures++;
    if (host.ejected || host.localOriginFailures < od.consecutiveLocalOriginFailure) return;
    if (od.enforcingLocalOriginPercent < 100 && Math.random() * 100 >= od.enforcingLocalOriginPercent) return;
    // Envoy ejects at least one host whatever max_ejection_percent says.
    const ejected = this.hosts.filter((h) => h.ejected).length;
    if (ejected > 0 && ((ejected + 1) / this.hosts.length) * 100 > od.maxEjectionPercent) return;
    host.ejected = true;
    host.ejections++;
    host.localOriginFailures = 0;
    this.logger.info({ cluster: this.name, host: `${host.host}:${host.port}`, reason: failure }, 'upstream host ejected (outlier detection)');
    const checked = this.config.healthChecks.length > 0 && od.unejectOnActiveSuccess;
    if (!checked) {
      const timer = setTimeout(() => {
        this.timers = this.timers.filter((t) => t !== timer);
        this.uneject(host, 'ejection time over');
      }, Math.min(od.maxEjectionTimeMs, od.baseEjectionTimeMs * host.ejections));
      timer.unref();
      this.timers.push(timer);
    }
  }

  private uneject(host: Host, why: string): void {
    if (!host.ejected) return;
    host.ejected = false;
    this.logger.info({ cluster: this.name, host: `${host.host}:${host.port}`, why }, 'upstream host back (outlier detection)');
  }

  startHealthChecks(): void {
    for (const hc of this.config.healthChecks) {
      for (const host of this.hosts) this.schedule(hc, host, 0);
    }
  }

  private schedule(hc: HealthCheck, host: Host, delay: number): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers = this.timers.filter((t) => t !== timer);
      void this.check(hc, host).finally(() => {
        const interval = !host.healthy && hc.unhealthyIntervalMs !== undefined ? hc.unhealthyIntervalMs : this.carriedTraffic ? hc.intervalMs : hc.noTrafficIntervalMs;
        this.schedule(hc, host, interval);
      });
    }, delay);
    timer.unref();
    this.timers.push(timer);
  }

  private async check(hc: HealthCheck, host: Host): Promise<void> {
    const service = Buffer.from(hc.grpc.serviceName, 'utf8');
    // grpc.health.v1.HealthCheckRequest { string service = 1; }
    const message = service.length ? Buffer.concat([Buffer.from([0x0a, ...varint(service.length)]), service]) : Buffer.alloc(0);
    const frame = Buffer.alloc(5);
    frame.writeUInt32BE(message.length, 1);
    let outcome: 'ok' | 'active' | 'network';
    try {
      const res = await this.pool.request(
        { host: host.host, port: host.port, connectTimeoutMs: this.config.connectTimeoutMs },
        {
          ':method': 'POST',
          ':path': '/grpc.health.v1.Health/Check',
          ':authority': hc.grpc.authority ?? this.name,
          'content-type': 'application/grpc',
          te: 'trailers',
          'user-agent': 'Envoy/HC',
        },
        Buffer.concat([frame, message]),
        hc.timeoutMs,
      );
      const trailers = res.trailersOnly ? res.headers : res.trailers;
      const grpcStatus = trailers?.['grpc-status'];
      // HealthCheckResponse { ServingStatus status = 1; } with SERVING = 1.
      const serving = res.status === 200 && grpcStatus === '0' && res.body.length >= 7 && res.body[5] === 0x08 && res.body[6] === 1;
      outcome = serving ? 'ok' : 'active';
    } catch {
      outcome = 'network';
    }
    this.record(hc, host, outcome);
  }

  private record(hc: HealthCheck, host: Host, outcome: 'ok' | 'active' | 'network'): void {
    const was = host.healthy;
    if (outcome === 'ok') {
      if (this.config.outlierDetection?.unejectOnActiveSuccess) this.uneject(host, 'active health check passed');
      host.consecutiveFailures = 0;
      host.consecutiveSuccesses++;
      // The first success ever is enough; afterwards healthy_threshold successes in a row.
      if (!host.healthy && (host.pending || host.consecutiveSuccesses >= hc.healthyThreshold)) host.healthy = true;
      host.pending = false;
    } else {
      host.consecutiveSuccesses = 0;
      host.consecutiveFailures++;
      if (host.healthy && (outcome === 'active' || host.consecutiveFailures >= hc.unhealthyThreshold)) host.healthy = false;
    }
    if (was !== host.healthy) {
      this.logger.info({ cluster: this.name, host: `${host.host}:${host.port}`, healthy: host.healthy }, 'upstream health changed');
    }
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
  }
}

export class ClusterManager {
  readonly clusters = new Map<string, RuntimeCluster>();
  readonly pool = new H2Pool();

  constructor(configs: Map<string, Cluster>, upstreams: Record<string, string>, logger: Logger) {
    for (const name of Object.keys(upstreams)) {
      if (!configs.has(name)) logger.warn({ cluster: name }, 'upstream given for a cluster the Envoy config does not define; ignored');
    }
    for (const [name, cfg] of configs) {
      // A cluster without endpoints on purpose (json_api: routes that only classify) needs none.
      if (upstreams[name] === undefined && cfg.endpoints.length > 0) {
        logger.warn({ cluster: name, endpoints: cfg.endpoints.map((e) => `${e.host}:${e.port}`) }, 'no local upstream for this cluster; using the address from the Envoy config');
      }
      this.clusters.set(name, new RuntimeCluster(cfg, upstreams[name], this.pool, logger));
    }
  }

  get(name: string): RuntimeCluster | undefined {
    return this.clusters.get(name);
  }

  start(): void {
    for (const c of this.clusters.values()) c.startHealthChecks();
  }

  close(): void {
    for (const c of this.clusters.values()) c.stop();
    this.pool.close();
  }
}
