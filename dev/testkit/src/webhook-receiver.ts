/**
 * A tiny webhook receiver for tests of the provider emulators (Mux, Stripe): records every POST (raw body + headers) and lets a test
 * await a matching one instead of sleeping. `respond` decides the HTTP status per request, which
 * is how tests make the emulator retry.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  body: string;
  headers: IncomingHttpHeaders;
  /** The status this receiver answered with. */
  status: number;
  /** `type` and `id` of the JSON event, when the body is one. */
  type: string | null;
  eventId: string | null;
}

export interface WebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  /** The first webhook (already received or yet to come) matching `match`. */
  waitFor(match: (w: ReceivedWebhook) => boolean): Promise<ReceivedWebhook>;
  /** Resolves once `count` webhooks matching `match` have arrived. */
  waitForCount(match: (w: ReceivedWebhook) => boolean, count: number): Promise<ReceivedWebhook[]>;
  close(): Promise<void>;
}

export interface WebhookReceiverOptions {
  /** Status to answer with; `attempt` counts earlier requests carrying the same event id (0 = first). */
  respond?: (w: Omit<ReceivedWebhook, 'status'>, attempt: number) => number | Promise<number>;
  /** Path of the URL handed out (any path is accepted); default `/webhooks`. */
  path?: string;
}

export async function startWebhookReceiver(opts: WebhookReceiverOptions = {}): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const watchers = new Set<() => void>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let type: string | null = null;
        let eventId: string | null = null;
        try {
          const parsed = JSON.parse(body) as { type?: unknown; id?: unknown };
          type = typeof parsed.type === 'string' ? parsed.type : null;
          eventId = typeof parsed.id === 'string' ? parsed.id : null;
        } catch {
          // not JSON: recorded as is
        }
        const w = { body, headers: req.headers, type, eventId };
        const attempt = received.filter((r) => eventId !== null && r.eventId === eventId).length;
        const status = (await opts.respond?.(w, attempt)) ?? 200;
        received.push({ ...w, status });
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'no');
        for (const notify of [...watchers]) notify();
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${opts.path ?? '/webhooks'}`;

  const waitForCount = (match: (w: ReceivedWebhook) => boolean, count: number): Promise<ReceivedWebhook[]> =>
    new Promise((resolve) => {
      const check = (): boolean => {
        const hits = received.filter(match);
        if (hits.length < count) return false;
        watchers.delete(check);
        resolve(hits.slice(0, count));
        return true;
      };
      if (!check()) watchers.add(check);
    });

  return {
    url,
    received,
    waitFor: async (match) => (await waitForCount(match, 1))[0],
    waitForCount,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
