/**
 * The CLI `make run` starts, driven from another process as the billing service's end-to-end
 * tests would: secrets from the environment, the SDK against it, and the /_emulator controls.
 */
import Stripe from 'stripe';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCliToExit, startCliProcess } from '@flix/emulator-kit/testing';
import { startWebhookReceiver } from '@flix/testkit';

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const secret = 'whsec_cli_secret';
const key = 'sk_test_cli_key_0000';

describe('cli', () => {
  it('runs with secrets from the environment and is driven over HTTP controls', async () => {
    const receiver = await startWebhookReceiver();
    const child = await startCliProcess(cli, ['--port', '0', '--webhook-url', receiver.url], {
      ...process.env,
      STRIPE_WEBHOOK_SECRET: secret,
      STRIPE_SECRET_KEY: key,
    });
    try {
      const { url, port } = child;
      expect(await (await fetch(`${url}/_emulator/health`)).json()).toMatchObject({ ok: true, apiVersion: Stripe.API_VERSION });

      const stripe = new Stripe(key, { host: '127.0.0.1', port, protocol: 'http' });
      const price = await stripe.prices.create({ currency: 'usd', unit_amount: 999, recurring: { interval: 'month' }, product_data: { name: 'Basic' } });
      const session = await stripe.checkout.sessions.create({ mode: 'subscription', line_items: [{ price: price.id, quantity: 1 }], success_url: 'https://flix.test/ok' });
      const control = (path: string, body: unknown = {}) =>
        fetch(`${url}/_emulator${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

      const paid = (await (await control(`/checkout/${session.id}/pay`)).json()) as { data: Stripe.Checkout.Session };
      expect(paid.data).toMatchObject({ status: 'complete' });
      const completed = await receiver.waitFor((w) => w.type === 'checkout.session.completed');
      expect(stripe.webhooks.constructEvent(completed.body, String(completed.headers['stripe-signature']), secret).data.object).toMatchObject({ id: session.id });

      const { now } = (await (await control('/clock/advance', { seconds: 32 * 86_400 })).json()) as { now: number };
      expect(now).toBeGreaterThan(Math.floor(Date.now() / 1000) + 31 * 86_400);
      expect((await control('/idle')).status).toBe(200);
      const deliveries = (await (await fetch(`${url}/_emulator/deliveries`, { headers: { authorization: `Bearer ${key}` } })).json()) as { data: { type: string }[] };
      expect(deliveries.data.filter((d) => d.type === 'invoice.paid')).toHaveLength(2);
      // Controls want the key too.
      expect((await fetch(`${url}/_emulator/clock/advance`, { method: 'POST', body: '{"seconds":1}' })).status).toBe(401);

      expect(await child.stop()).toBe(0);
    } finally {
      child.kill();
      await receiver.close();
    }
  });

  it('refuses to start without STRIPE_WEBHOOK_SECRET, naming it', async () => {
    const env = { ...process.env };
    delete env.STRIPE_WEBHOOK_SECRET;
    const { code, stderr } = await runCliToExit(cli, ['--port', '0'], env);
    expect(code).toBe(2);
    expect(stderr).toContain('STRIPE_WEBHOOK_SECRET');
  });
});
