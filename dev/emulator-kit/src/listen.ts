import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ListenOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
}

export interface HttpListener {
  /** e.g. http://127.0.0.1:8095; a wildcard host is reached through 127.0.0.1. */
  baseUrl: string;
  port: number;
  /** The host part of baseUrl (an IPv6 address in brackets). */
  urlHost: string;
  /** Drops open connections (keep-alive ones would hold close() up) and stops listening. */
  close(): Promise<void>;
}

export function urlHostFor(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

export async function listenHttp(handler: RequestListener, options: ListenOptions = {}): Promise<HttpListener> {
  const host = options.host ?? '127.0.0.1';
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = urlHostFor(host);
  return {
    baseUrl: `http://${urlHost}:${port}`,
    port,
    urlHost,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
