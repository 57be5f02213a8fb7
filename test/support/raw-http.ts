/**
 * HTTP/1.1 requests sent exactly as written: fetch() (WHATWG URL) would resolve "..", "%2e%2e"
 * and re-encode the path before it leaves, so a test of the gateway's own path handling could
 * never send what an attacker's raw socket sends.
 */
import { request } from 'node:http';

export interface RawRequest {
  method: string;
  /** The request target as sent: path and query, already percent-encoded as wanted. */
  target: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /**
   * The client address (any of 127.0.0.0/8 reaches a server on 127.0.0.1): tests that send many
   * requests spread them over addresses as many clients would, so per-address rate limits see
   * many clients instead of one flooding one.
   */
  localAddress?: string;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

export function rawRequest(base: string, req: RawRequest, timeoutMs = 20_000): Promise<RawResponse> {
  const url = new URL(base);
  const body = req.body === undefined ? undefined : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body, 'utf8');
  return new Promise((resolve, reject) => {
    const r = request(
      {
        host: url.hostname,
        port: url.port,
        method: req.method,
        path: req.target,
        headers: { ...(body ? { 'content-length': String(body.length) } : {}), ...req.headers },
        // A fresh connection each time: a reply that closes the socket must not fail the next request.
        agent: false,
        timeout: timeoutMs,
        ...(req.localAddress ? { localAddress: req.localAddress } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on('error', reject);
      },
    );
    r.on('timeout', () => r.destroy(new Error(`no answer in ${timeoutMs} ms to ${req.method} ${req.target.slice(0, 200)}`)));
    r.on('error', reject);
    r.end(body);
  });
}

/** 127.0.0.2 … 127.0.0.254 in turn. */
export function clientAddresses(): () => string {
  let i = 0;
  return () => `127.0.0.${(i++ % 253) + 2}`;
}
