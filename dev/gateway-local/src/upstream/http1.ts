/**
 * Plain-HTTP reverse proxying to HTTP/1.1 clusters: method, headers and body go up, status,
 * headers and a streamed body come back.
 */
import http, { type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { UpstreamFailure } from './h2.js';

export interface Http1Target {
  host: string;
  port: number;
  connectTimeoutMs: number;
}

export class Http1Pool {
  private readonly agent = new http.Agent({ keepAlive: true });

  /**
   * Resolves when the upstream's response headers arrive. `timeoutMs` bounds the whole exchange,
   * as Envoy's route timeout does; after the headers the body stream is destroyed when it fires.
   */
  request(
    target: Http1Target,
    method: string,
    path: string,
    headers: OutgoingHttpHeaders,
    body: Buffer | Readable,
    timeoutMs: number,
  ): Promise<{ response: IncomingMessage; cancel: () => void }> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const req = http.request({ host: target.host, port: target.port, method, path, headers, agent: this.agent, setHost: false });
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              if (!settled) {
                settled = true;
                reject(new UpstreamFailure('timeout', 'upstream request timeout'));
              }
              req.destroy();
            }, timeoutMs)
          : undefined;
      const connectTimer = setTimeout(() => {
        if (!settled) {
          settled = true;
          reject(new UpstreamFailure('connect_timeout', 'upstream connect error or disconnect/reset before headers. reset reason: connection timeout'));
        }
        req.destroy();
      }, target.connectTimeoutMs);
      req.on('socket', (socket) => {
        if (!socket.connecting) clearTimeout(connectTimer);
        else socket.once('connect', () => clearTimeout(connectTimer));
      });
      req.on('response', (response) => {
        clearTimeout(connectTimer);
        response.on('end', () => clearTimeout(timer));
        response.on('close', () => clearTimeout(timer));
        if (settled) {
          response.destroy();
          return;
        }
        settled = true;
        resolve({ response, cancel: () => req.destroy() });
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(connectTimer);
        clearTimeout(timer);
        if (settled) return;
        settled = true;
        const refused = err.code === 'ECONNREFUSED';
        reject(
          new UpstreamFailure(
            refused ? 'connect_failure' : 'reset',
            refused
              ? 'upstream connect error or disconnect/reset before headers. reset reason: remote connection failure, transport failure reason: delayed connect error: Connection refused'
              : `upstream connect error or disconnect/reset before headers. reset reason: ${err.code === 'ECONNRESET' ? 'remote reset' : 'connection termination'}`,
          ),
        );
      });
      if (Buffer.isBuffer(body)) req.end(body);
      else body.pipe(req);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
