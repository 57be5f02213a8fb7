/**
 * Webhook delivery: signatures the SDK accepts on every attempt, retries with backoff on non-2xx,
 * a bounded number of attempts, redelivery and raw delivery (duplicates, reordering).
 */
import Mux from '@mux/mux-node';
import { afterEach, describe, expect, it } from 'vitest';
import { signMuxWebhook, startMuxEmulator, type MuxEmulator } from '../src/index.js';
import { startWebhookReceiver, type WebhookReceiver } from '@flix/testkit';

const webhookSecret = 'whsec-delivery';
const mux = new Mux({ tokenId: 'unused', tokenSecret: 'unused', webhookSecret });
// Fast backoff so retries take milliseconds; the policy under test is the same.
const fastRetry = { initialDelayMs: 5, maxDelayMs: 20, maxAttempts: 4 };

const open: Array<MuxEmulator | WebhookReceiver> = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((x) => x.close()));
});

async function setup(respond?: Parameters<typeof startWebhookReceiver>[0]) {
  const receiver = await startWebhookReceiver(respond);
  const emulator = await startMuxEmulator({ webhookSecret, webhookUrl: receiver.url, webhookRetry: fastRetry });
  open.push(receiver, emulator);
  return { receiver, emulator };
}

const event = (type: string, id: string) => ({
  type,
  id,
  object: { type: 'asset', id: 'asset-1' },
  environment: { name: 'test', id: 'env' },
  data: { id: 'asset-1' },
  created_at: new Date().toISOString(),
  attempts: [],
  request_id: null,
  accessor_source: null,
  accessor: null,
});

describe('webhook delivery', () => {
  it('retries a receiver that answers non-2xx, re-signing each attempt, until it accepts', async () => {
    const { receiver, emulator } = await setup({ respond: (_w, attempt) => (attempt < 2 ? 503 : 200) });
    const delivery = await emulator.deliver(event('video.asset.ready', 'evt-retry'));
    expect(delivery.status).toBe('delivered');
    expect(delivery.attempts.map((a) => a.statusCode)).toEqual([503, 503, 200]);
    const got = receiver.received.filter((w) => w.eventId === 'evt-retry');
    expect(got.map((w) => w.status)).toEqual([503, 503, 200]);
    // Same body every time, and every attempt carries a signature the SDK accepts.
    for (const w of got) {
      expect(w.body).toBe(delivery.body);
      await expect(mux.webhooks.unwrap(w.body, w.headers as Record<string, string>)).resolves.toMatchObject({ id: 'evt-retry' });
    }
  });

  it('gives up after maxAttempts when the receiver never accepts', async () => {
    const { receiver, emulator } = await setup({ respond: () => 500 });
    const delivery = await emulator.deliver(event('video.asset.created', 'evt-doomed'));
    expect(delivery.status).toBe('failed');
    expect(delivery.attempts).toHaveLength(fastRetry.maxAttempts);
    expect(receiver.received.filter((w) => w.eventId === 'evt-doomed')).toHaveLength(fastRetry.maxAttempts);
    expect(emulator.deliveries().find((d) => d.id === delivery.id)?.status).toBe('failed');
  });

  it('retries when nothing listens, and records why', async () => {
    const receiver = await startWebhookReceiver();
    const deadUrl = receiver.url;
    await receiver.close();
    const emulator = await startMuxEmulator({ webhookSecret, webhookUrl: deadUrl, webhookRetry: { ...fastRetry, maxAttempts: 2 } });
    open.push(emulator);
    const delivery = await emulator.deliver(event('video.asset.ready', 'evt-refused'));
    expect(delivery.status).toBe('failed');
    expect(delivery.attempts).toHaveLength(2);
    expect(delivery.attempts[0]).toMatchObject({ statusCode: null, error: expect.stringMatching(/ECONNREFUSED|fetch failed/) });
  });

  it('redelivers a recorded delivery as a duplicate with the same event id', async () => {
    const { receiver, emulator } = await setup();
    const first = await emulator.deliver(event('video.asset.ready', 'evt-dup'));
    const again = await emulator.redeliver(first.id);
    expect(again.id).not.toBe(first.id);
    expect(again.body).toBe(first.body);
    expect(again.status).toBe('delivered');
    const dupes = await receiver.waitForCount((w) => w.eventId === 'evt-dup', 2);
    expect(dupes[0].body).toBe(dupes[1].body);
  });

  it('delivers raw events in the order asked, for reordering tests', async () => {
    const { receiver, emulator } = await setup();
    await emulator.deliver(event('video.asset.ready', 'evt-late-ready'));
    await emulator.deliver(event('video.asset.created', 'evt-late-created'));
    const order = receiver.received.filter((w) => w.eventId?.startsWith('evt-late-')).map((w) => w.type);
    expect(order).toEqual(['video.asset.ready', 'video.asset.created']);
  });

  it('records events as no_endpoint without a webhook URL, and follows setWebhookUrl', async () => {
    const receiver = await startWebhookReceiver();
    const emulator = await startMuxEmulator({ webhookSecret, webhookRetry: fastRetry });
    open.push(receiver, emulator);
    expect((await emulator.deliver(event('video.asset.ready', 'evt-nowhere'))).status).toBe('no_endpoint');
    emulator.setWebhookUrl(receiver.url);
    expect((await emulator.deliver(event('video.asset.ready', 'evt-somewhere'))).status).toBe('delivered');
    expect(receiver.received.map((w) => w.eventId)).toEqual(['evt-somewhere']);
  });

  it('signs as Mux documents: t=<unix>,v1=<hex HMAC-SHA256(secret, "t.body")>', async () => {
    const { receiver, emulator } = await setup();
    await emulator.deliver('{"type":"video.asset.ready","id":"evt-sig"}');
    const w = await receiver.waitFor((r) => r.eventId === 'evt-sig');
    const header = String(w.headers['mux-signature']);
    const t = Number(/^t=(\d+),v1=[0-9a-f]{64}$/.exec(header)?.[1]);
    expect(header).toBe(signMuxWebhook(webhookSecret, w.body, t));
    await expect(mux.webhooks.verifySignature(w.body, w.headers as Record<string, string>)).resolves.toBeUndefined();
    await expect(mux.webhooks.verifySignature(w.body, w.headers as Record<string, string>, 'another-secret')).rejects.toThrow();
  });
});
