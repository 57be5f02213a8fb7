/**
 * What keeps the emulator's memory bounded under a long-running stack (finding FS5): the event
 * history, the webhook delivery history and the idempotency answers are each capped, newest
 * kept; and the state file is written in pieces yet reads back as exactly the JSON of the state.
 * (bench/stripe-emulator-memory.ts measures the whole: heap and RSS per 100 checkouts.)
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventLog, MAX_EVENTS } from '../src/core/events.js';
import { IdempotencyCache, MAX_IDEMPOTENCY } from '../src/core/idempotency.js';
import { writeJsonInPieces } from '../src/core/state.js';
import { ObjectStore } from '../src/core/store.js';
import type { StripeEventJson } from '../src/model.js';
import { silentLogger } from '../src/types.js';
import { MAX_KEPT_DELIVERIES, STRIPE_RETRY, WebhookDispatcher } from '../src/webhooks.js';

describe('bounded histories', () => {
  it('keeps the newest MAX_EVENTS events', () => {
    const store = new ObjectStore<StripeEventJson>('event', (x) => x);
    const log = new EventLog({ store, apiVersion: 'v', now: () => 0, render: (x) => x, hasEndpoint: () => false, deliver: () => {} });
    for (let i = 0; i < MAX_EVENTS + 50; i++) {
      log.emit('customer.updated', { id: `cus_${i}`, object: 'customer' });
      log.flush();
    }
    const kept = store.all();
    expect(kept).toHaveLength(MAX_EVENTS);
    expect((kept.at(-1)!.data.object as { id: string }).id).toBe(`cus_${MAX_EVENTS + 49}`);
    expect((kept[0]!.data.object as { id: string }).id).toBe('cus_50');
  });

  it('keeps the newest MAX_IDEMPOTENCY answers: a recent retry is still replayed', () => {
    const cache = new IdempotencyCache(() => {});
    const entry = (i: number) => ({ method: 'POST', path: '/v1/customers', params: `{"i":${i}}`, status: 200, body: `{"id":"cus_${i}"}`, requestId: `req_${i}`, at: Date.now() });
    for (let i = 0; i < MAX_IDEMPOTENCY + 10; i++) cache.remember(`key-${i}`, entry(i));
    expect(cache.snapshot()).toHaveLength(MAX_IDEMPOTENCY);
    expect(cache.get('key-0')).toBeUndefined();
    expect(cache.get(`key-${MAX_IDEMPOTENCY + 9}`)?.body).toBe(`{"id":"cus_${MAX_IDEMPOTENCY + 9}"}`);
  });

  it('keeps MAX_KEPT_DELIVERIES finished webhook deliveries, dropping the oldest', async () => {
    const dispatcher = new WebhookDispatcher({ secret: 'whsec_x', url: () => undefined, retry: STRIPE_RETRY, logger: silentLogger, changed: () => {} });
    try {
      for (let i = 0; i < MAX_KEPT_DELIVERIES + 20; i++) await dispatcher.send(JSON.stringify({ id: `evt_${i}`, type: 'customer.created' }));
      const kept = dispatcher.snapshot();
      expect(kept).toHaveLength(MAX_KEPT_DELIVERIES);
      expect(kept[0]!.eventId).toBe('evt_20');
      expect(kept.every((d) => d.status === 'no_endpoint')).toBe(true);
    } finally {
      dispatcher.close();
    }
  });
});

describe('the state file', () => {
  it('is written in pieces but is exactly the JSON of the state', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stripe-state-'));
    try {
      const big = 'x'.repeat(40_000);
      const state = {
        version: 1,
        clockOffset: 12,
        customers: Array.from({ length: 300 }, (_, i) => ({ id: `cus_${i}`, metadata: { note: 'ü "quoted" \n' }, big: i === 7 ? big : null })),
        holes: [1, undefined, () => 0, { a: undefined }],
        empty: [],
        nothing: undefined,
        failures: [['cus_1', 2]],
        holding: false,
      };
      const path = join(dir, 'nested', 'stripe-emulator.json');
      writeJsonInPieces(path, state);
      expect(readFileSync(path, 'utf8')).toBe(JSON.stringify(state));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
