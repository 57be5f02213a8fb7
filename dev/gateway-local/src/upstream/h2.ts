/**
 * HTTP/2 to gRPC upstreams, one connection per address, as Envoy's HTTP/2 connection pool does.
 *
 * This speaks HTTP/2 directly rather than through @grpc/grpc-js: Envoy forwards the caller's
 * headers verbatim (grpc-js would replace user-agent), passes upstream response headers back, and
 * must tell a trailers-only reply from a normal one, a refused connection from an upstream status.
 */
import http2, { type ClientHttp2Session, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';

export type FailureKind = 'connect_failure' | 'connect_timeout' | 'reset' | 'timeout';

export class UpstreamFailure extends Error {
  override readonly name = 'UpstreamFailure';
  constructor(
    readonly kind: FailureKind,
    message: string,
  ) {
    super(message);
  }
}

export interface H2Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  trailers?: Record<string, string | string[] | undefined>;
  trailersOnly: boolean;
  body: Buffer;
}

export interface H2Target {
  host: string;
  port: number;
  connectTimeoutMs: number;
}

const { NGHTTP2_CANCEL } = http2.constants;

function plain(h: IncomingHttpHeaders): Record<string, string | string[] | undefined> {
  const out: Record<string, string | string[] | undefined> = {};
  for (const [k, v] of Object.entries(h)) out[k] = typeof v === 'number' ? String(v) : v;
  return out;
}

/** Envoy's wording for a connection that never came up. */
function connectMessage(err: NodeJS.ErrnoException): string {
  const reason = err.code === 'ECONNREFUSED' ? 'Connection refused' : err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN' ? 'Name resolution failed' : err.message;
  return `upstream connect error or disconnect/reset before headers. reset reason: remote connection failure, transport failure reason: delayed connect error: ${reason}`;
}

interface PooledSession {
  session: ClientHttp2Session;
  ready: Promise<void>;
}

export class H2Pool {
  private readonly sessions = new Map<string, PooledSession>();
  private closed = false;

  private session(target: H2Target): PooledSession {
    const key = `${target.host}:${target.port}`;
    const existing = this.sessions.get(key);
    if (existing && !existing.session.closed && !existing.session.destroyed) return existing;
    const host = target.host.includes(':') ? `[${target.host}]` : target.host;
    const session = http2.connect(`http://${host}:${target.port}`);
    const drop = () => {
      if (this.sessions.get(key)?.session === session) this.sessions.delete(key);
    };
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new UpstreamFailure('connect_timeout', 'upstream connect error or disconnect/reset before headers. reset reason: connection timeout'));
        session.destroy();
      }, target.connectTimeoutMs);
      session.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      session.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new UpstreamFailure('connect_failure', connectMessage(err)));
      });
    });
    ready.catch(() => drop());
    session.on('error', drop);
    session.on('close', drop);
    session.on('goaway', drop);
    // Idle pooled connections must not keep the process alive.
    session.unref();
    const pooled = { session, ready };
    this.sessions.set(key, pooled);
    return pooled;
  }

  /** One request/response exchange, body buffered both ways (unary gRPC, small HTTP calls). */
  async request(target: H2Target, headers: OutgoingHttpHeaders, body: Buffer, timeoutMs: number): Promise<H2Response> {
    if (this.closed) throw new UpstreamFailure('connect_failure', 'upstream connect error or disconnect/reset before headers. reset reason: connection termination');
    const pooled = this.session(target);
    await pooled.ready;
    return new Promise<H2Response>((resolve, reject) => {
      let stream: http2.ClientHttp2Stream;
      try {
        stream = pooled.session.request(headers, { endStream: false });
      } catch (err) {
        reject(new UpstreamFailure('reset', `upstream connect error or disconnect/reset before headers. reset reason: ${(err as Error).message}`));
        return;
      }
      let responseHeaders: IncomingHttpHeaders | undefined;
      let trailers: IncomingHttpHeaders | undefined;
      let trailersOnly = false;
      const chunks: Buffer[] = [];
      let settled = false;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        fn();
      };
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              finish(() => reject(new UpstreamFailure('timeout', 'upstream request timeout')));
              stream.close(NGHTTP2_CANCEL);
            }, timeoutMs)
          : undefined;
      stream.on('response', (h, flags) => {
        responseHeaders = h;
        trailersOnly = (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0;
      });
      stream.on('trailers', (t) => {
        trailers = t;
      });
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (!responseHeaders) return;
        finish(() =>
          resolve({
            status: Number(responseHeaders![':status'] ?? 0),
            headers: plain(responseHeaders!),
            trailers: trailers ? plain(trailers) : undefined,
            trailersOnly,
            body: Buffer.concat(chunks),
          }),
        );
      });
      stream.on('close', () => {
        finish(() =>
          reject(
            new UpstreamFailure(
              'reset',
              responseHeaders
                ? 'upstream reset after response started'
                : `upstream connect error or disconnect/reset before headers. reset reason: ${stream.rstCode ? 'remote reset' : 'connection termination'}`,
            ),
          ),
        );
      });
      stream.on('error', () => {
        /* reported through 'close' */
      });
      stream.end(body);
    });
  }

  close(): void {
    this.closed = true;
    for (const { session } of this.sessions.values()) session.destroy();
    this.sessions.clear();
  }
}
