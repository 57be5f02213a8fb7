/**
 * The shared delivery queue's retry window: retried with capped exponential backoff until the
 * provider's give-up age, not a fixed number of attempts; a bounded attempt history; a restart
 * resuming what was pending with its age and backoff intact. Time is virtual (an injected clock
 * whose timers fire at once and move it forward), so days of retries take milliseconds; the
 * receiver is a real HTTP server whose answer depends on that clock.
 */
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_RETRY,
  MAX_ATTEMPT_RECORDS,
  retryPolicy,
  STRIPE_GIVE_UP_AFTER_MS,
  WebhookDeliveryQueue,
  type Logger,
  type QueueClock,
  type WebhookDelivery,
  type WebhookRetryPolicy,
} from '../src/index.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Virtual time: a scheduled retry moves the clock forward by its delay and runs on the next turn. */
class VirtualClock implements QueueClock {
  t = Date.parse('2026-03-01T00:00:00Z');
  readonly delays: number[] = [];
  now = () => this.t;
  schedule = (fn: () => void, ms: number) => {
    this.delays.push(ms);
    let cancelled = false;
    setImmediate(() => {
      if (cancelled) return;
      this.t += ms;
      fn();
    });
    return () => {
      cancelled = true;
    };
  };
}

class TestQueue extends WebhookDeliveryQueue<WebhookDelivery> {
  send(body: string): Promise<WebhookDelivery> {
    return this.track(body, { status: 'pending' });
  }
}

const quiet: Logger = { info() {}, warn() {}, error() {} };
const open: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close();
});

/** A receiver that answers `status()` at each request (called with the virtual time), recording what it got. */
async function receiver(status: () => number): Promise<{ url: string; got: { at: number; status: number }[]; clock?: VirtualClock }> {
  const got: { at: number; status: number }[] = [];
  const rec = { url: '', got, clock: undefined as VirtualClock | undefined };
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const s = status();
      got.push({ at: rec.clock?.t ?? 0, status: s });
      res.writeHead(s).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  open.push({ close: () => new Promise((r) => server.close(r)) });
  rec.url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
  return rec;
}

function queue(url: string, clock: VirtualClock, retry: Partial<WebhookRetryPolicy> = {}, changed: () => void = () => {}): TestQueue {
  const q = new TestQueue({
    url: () => url,
    retry: retryPolicy({ ...DEFAULT_RETRY, giveUpAfterMs: STRIPE_GIVE_UP_AFTER_MS }, retry),
    logger: quiet,
    logPrefix: 'test',
    maxKept: 100,
    headers: () => ({ 'content-type': 'application/json' }),
    changed,
    clock,
  });
  open.push(q);
  return q;
}

describe('webhook retry window', () => {
  it('keeps retrying a receiver that is down far longer than the old 2-minute window, and delivers within a minute of its return', async () => {
    const clock = new VirtualClock();
    const start = clock.t;
    const backAt = start + 45 * MINUTE;
    const r = await receiver(() => (clock.t < backAt ? 503 : 200));
    r.clock = clock;
    const q = queue(r.url, clock);

    const d = await q.send('{"id":"evt_long_outage","type":"invoice.paid"}');

    expect(d.status).toBe('delivered');
    // Backoff doubles from 1 s and is capped at 60 s…
    expect(clock.delays.slice(0, 8)).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000]);
    expect(Math.max(...clock.delays)).toBe(60_000);
    // …so the receiver, back after 45 minutes, had the event within a minute of coming back.
    const accepted = r.got.find((g) => g.status === 200)!;
    expect(accepted.at).toBeGreaterThanOrEqual(backAt);
    expect(accepted.at - backAt).toBeLessThanOrEqual(MINUTE);
    expect(r.got.filter((g) => g.status === 200)).toHaveLength(1);
    // Far more attempts than the old limit of 8; only the latest records are kept, the count is whole.
    expect(d.attemptCount).toBe(r.got.length);
    expect(d.attemptCount).toBeGreaterThan(40);
    expect(d.attempts).toHaveLength(MAX_ATTEMPT_RECORDS);
    expect(d.attempts.at(-1)).toMatchObject({ statusCode: 200, error: null });
    expect(d.nextAttemptAt).toBeNull();
  });

  it('gives up on a delivery once it is older than giveUpAfterMs, the last attempt falling due at that age', async () => {
    const clock = new VirtualClock();
    const r = await receiver(() => 500);
    r.clock = clock;
    const q = queue(r.url, clock, { giveUpAfterMs: 2 * HOUR });

    const d = await q.send('{"id":"evt_doomed","type":"invoice.paid"}');

    expect(d.status).toBe('failed');
    expect(r.got.at(-1)!.at - Date.parse(d.createdAt)).toBe(2 * HOUR);
    expect(d.attemptCount).toBe(r.got.length);
    expect(d.attempts).toHaveLength(MAX_ATTEMPT_RECORDS);
    expect(q.snapshot()[0]).toMatchObject({ status: 'failed', attemptCount: r.got.length });
  });

  it('still honours maxAttempts when a caller sets one (tests fail fast with it)', async () => {
    const clock = new VirtualClock();
    const r = await receiver(() => 500);
    r.clock = clock;
    const d = await queue(r.url, clock, { maxAttempts: 3 }).send('{"id":"evt_capped"}');
    expect(d.status).toBe('failed');
    expect(d.attemptCount).toBe(3);
    expect(r.got).toHaveLength(3);
  });

  it('refuses a policy that cannot work, naming the setting', () => {
    expect(() => retryPolicy(DEFAULT_RETRY, { giveUpAfterMs: 0 })).toThrow(/webhookRetry\.giveUpAfterMs/);
    expect(() => retryPolicy(DEFAULT_RETRY, { maxAttempts: 0 })).toThrow(/webhookRetry\.maxAttempts/);
    expect(() => retryPolicy(DEFAULT_RETRY, { initialDelayMs: 5_000, maxDelayMs: 1_000 })).toThrow(/webhookRetry\.maxDelayMs/);
  });
});

describe('restart', () => {
  /** One run that leaves `evt_restart` pending after `failures` refused attempts, and its saved deliveries. */
  async function firstRun(failures: number): Promise<{ saved: WebhookDelivery[]; clock: VirtualClock }> {
    const clock = new VirtualClock();
    let n = 0;
    const r = await receiver(() => 503);
    r.clock = clock;
    let saved: WebhookDelivery[] = [];
    let q: TestQueue | undefined = undefined;
    const reachedFailures = new Promise<void>((resolve) => {
      q = queue(r.url, clock, {}, () => {
        // The owner persists on every change; stop once the wanted number of attempts failed.
        saved = JSON.parse(JSON.stringify(q?.persisted() ?? [])) as WebhookDelivery[];
        if (saved[0]?.attemptCount === failures && ++n === 1) resolve();
      });
    });
    const closing = reachedFailures.then(() => q!.close());
    void q!.send('{"id":"evt_restart","type":"customer.subscription.created"}');
    await closing;
    return { saved, clock };
  }

  it('resumes a pending delivery at once after a restart, keeping its age and attempt count', async () => {
    const { saved, clock } = await firstRun(3);
    expect(saved[0]).toMatchObject({ status: 'pending', attemptCount: 3 });
    expect(saved[0]!.nextAttemptAt).not.toBeNull();

    clock.t += 30 * MINUTE; // the emulator was down half an hour
    const up = await receiver(() => 200);
    up.clock = clock;
    const q = queue(up.url, clock);
    q.restore(saved);
    await q.idle();

    const d = q.snapshot()[0]!;
    expect(d).toMatchObject({ eventId: 'evt_restart', status: 'delivered', attemptCount: 4, createdAt: saved[0]!.createdAt });
    expect(up.got).toHaveLength(1);
  });

  it('fails, without another attempt, a pending delivery already older than giveUpAfterMs when it starts again', async () => {
    const { saved, clock } = await firstRun(2);
    clock.t += STRIPE_GIVE_UP_AFTER_MS; // the emulator was down for more than 3 days
    const up = await receiver(() => 200);
    const q = queue(up.url, clock);
    q.restore(saved);
    await q.idle();

    expect(q.snapshot()[0]).toMatchObject({ eventId: 'evt_restart', status: 'failed', attemptCount: 2 });
    expect(up.got).toHaveLength(0);
  });

  it('restores a delivery saved before attemptCount existed (every attempt kept) with a bounded history', async () => {
    const clock = new VirtualClock();
    const up = await receiver(() => 200);
    const old = {
      id: 'd-old',
      eventId: 'evt_old',
      type: 'invoice.paid',
      url: up.url,
      body: '{"id":"evt_old","type":"invoice.paid"}',
      status: 'pending',
      attempts: Array.from({ length: 30 }, (_, i) => ({ at: new Date(clock.t - (30 - i) * 1000).toISOString(), statusCode: 503, error: 'receiver answered 503', durationMs: 1 })),
      createdAt: new Date(clock.t - MINUTE).toISOString(),
    } as unknown as WebhookDelivery;
    const q = queue(up.url, clock);
    q.restore([old]);
    await q.idle();
    expect(q.snapshot()[0]).toMatchObject({ status: 'delivered', attemptCount: 31 });
    expect(q.snapshot()[0]!.attempts).toHaveLength(MAX_ATTEMPT_RECORDS);
  });
});
