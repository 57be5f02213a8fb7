import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { collectDefaultMetrics, Gauge, register } from 'prom-client';
import type { Logger } from '@flix/logging';

export interface HttpRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  /** Raw body bytes (webhook signatures are computed over them). */
  body: Buffer;
  /** The gateway's x-envoy-external-address, else the last x-forwarded-for entry, else the peer. */
  clientIp: string;
}

export interface HttpResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer | object;
}

export interface HttpRoute {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  path: string;
  handle(req: HttpRequest): Promise<HttpResponse>;
}

export interface HttpServerOptions {
  service: string;
  host?: string;
  port: number;
  logger: Logger;
  routes?: HttpRoute[];
  /**
   * Answers /healthz (readiness): 200 when ready, 503 otherwise, with the report as the body so
   * an operator sees which dependency is away. /livez (liveness) is 200 whenever the process
   * answers at all: a dependency outage must not get a healthy process restarted.
   */
  ready: () => HealthReport;
  maxBodyBytes?: number;
  /**
   * Recognizes an error a route threw because a dependency is away (the host passes the same
   * classifier the gRPC server uses): answered 503 with Retry-After and a google.rpc.Status
   * body instead of 500.
   */
  classifyError?: (err: unknown) => UnavailableAnswer | undefined;
}

/** What a route's caller is told when a dependency is away. */
export interface UnavailableAnswer {
  message: string;
  /** ErrorInfo reason, e.g. DEPENDENCY_UNAVAILABLE. */
  reason: string;
  metadata: Record<string, string>;
  retryAfterSeconds: number;
}

/** Readiness as the host sees it; `dependencies` names each required dependency's state. */
export interface HealthReport {
  ready: boolean;
  status: string;
  dependencies: Partial<Record<string, 'up' | 'down'>>;
}

let defaultMetricsStarted = false;

const dependencyUp = new Gauge({
  name: 'flix_dependency_up',
  help: 'Whether a required dependency (mongodb, nats) is reachable from this service: 1 up, 0 down',
  labelNames: ['service', 'dependency'] as const,
});

/**
 * The plain-HTTP side of a service: /metrics (Prometheus), /healthz, and whatever routes the
 * service adds (OAuth token endpoint, JWKS, webhooks). Every other API is gRPC.
 */
export async function startHttpServer(opts: HttpServerOptions): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  if (!defaultMetricsStarted) {
    collectDefaultMetrics({ prefix: 'flix_' });
    defaultMetricsStarted = true;
  }
  const reportDependencies = () => {
    for (const [dependency, state] of Object.entries(opts.ready().dependencies)) dependencyUp.set({ service: opts.service, dependency }, state === 'up' ? 1 : 0);
  };
  const routes = new Map<string, HttpRoute>();
  for (const r of opts.routes ?? []) routes.set(`${r.method} ${r.path}`, r);
  const maxBody = opts.maxBodyBytes ?? 1024 * 1024;

  const server = createServer((req, res) => {
    void dispatch(req, res).catch((err: unknown) => {
      const unavailable = opts.classifyError?.(err);
      if (unavailable) {
        opts.logger.warn({ path: req.url, reason: unavailable.reason, ...unavailable.metadata }, 'http route refused: a dependency is unavailable');
        if (!res.headersSent) send(res, unavailableResponse(unavailable, opts.service));
        return;
      }
      opts.logger.error({ err, path: req.url }, 'http handler failed');
      if (!res.headersSent) send(res, { status: 500, body: { code: 13, message: 'internal error', details: [] } });
    });
  });

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://local');
    if (req.method === 'GET' && url.pathname === '/metrics') {
      reportDependencies();
      return send(res, { status: 200, headers: { 'content-type': register.contentType }, body: await register.metrics() });
    }
    if (req.method === 'GET' && url.pathname === '/healthz') {
      const report = opts.ready();
      return send(res, {
        status: report.ready ? 200 : 503,
        headers: { 'cache-control': 'no-store' },
        body: { status: report.ready ? 'SERVING' : 'NOT_SERVING', service: opts.service, state: report.status, dependencies: report.dependencies },
      });
    }
    if (req.method === 'GET' && url.pathname === '/livez') {
      return send(res, { status: 200, headers: { 'cache-control': 'no-store' }, body: { status: 'ALIVE', service: opts.service } });
    }
    const route = routes.get(`${req.method} ${url.pathname}`);
    if (!route) {
      const allowed = [...routes.values()].filter((r) => r.path === url.pathname).map((r) => r.method);
      if (allowed.length > 0)
        return send(res, { status: 405, headers: { allow: allowed.join(', ') }, body: { code: 12, message: `method ${req.method} not allowed`, details: [] } });
      return send(res, { status: 404, body: { code: 5, message: `no route for ${url.pathname}`, details: [] } });
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > maxBody) return send(res, { status: 413, body: { code: 3, message: `request body larger than ${maxBody} bytes`, details: [] } });
      chunks.push(chunk as Buffer);
    }
    const xff = String(req.headers['x-forwarded-for'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const response = await route.handle({
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: Buffer.concat(chunks),
      clientIp: externalAddress(req) ?? (xff.length > 0 ? xff[xff.length - 1]! : (req.socket.remoteAddress ?? '')),
    });
    send(res, response);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** 503 with Retry-After and the google.rpc.Status JSON the gateway renders for gRPC errors. */
function unavailableResponse(u: UnavailableAnswer, service: string): HttpResponse {
  return {
    status: 503,
    headers: { 'retry-after': String(Math.ceil(u.retryAfterSeconds)) },
    body: {
      code: 14,
      message: u.message,
      details: [
        { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: u.reason, domain: `flix.${service}`, metadata: u.metadata },
        { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${Math.ceil(u.retryAfterSeconds)}s` },
      ],
    },
  };
}

function send(res: ServerResponse, r: HttpResponse): void {
  const isText = typeof r.body === 'string' || Buffer.isBuffer(r.body);
  const payload = r.body === undefined ? '' : isText ? (r.body as string | Buffer) : JSON.stringify(r.body);
  const headers: Record<string, string> = { ...(r.headers ?? {}) };
  if (r.body !== undefined && !isText && !headers['content-type']) headers['content-type'] = 'application/json';
  res.writeHead(r.status, headers);
  res.end(payload);
}

/** The client address the gateway vouches for (it overwrites whatever a client sent). */
function externalAddress(req: IncomingMessage): string | undefined {
  const value = req.headers['x-envoy-external-address'];
  const first = (Array.isArray(value) ? value[0] : value)?.trim();
  return first || undefined;
}
