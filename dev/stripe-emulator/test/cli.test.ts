/**
 * The CLI `make run` starts, driven from another process as the billing service's end-to-end
 * tests would: secrets from the environment, the SDK against it, and the /_emulator controls.
 */
import Stripe from 'stripe';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startWebhookReceiver } from '@flix/testkit';

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const secret = 'whsec_cli_secret';
const key = 'sk_test_cli_key_0000';

describe('cli', () => {
  it('runs with secrets from the environment and is driven over HTTP controls', async () => {
    const receiver = await startWebhookReceiver();
    const child = spawn(process.execPath, ['--import', 'tsx', cli, '--port', '0', '--webhook-url', receiver.url], {
      env: { ...process.env, STRIPE_WEBHOOK_SECRET: secret, STRIPE_SECRET_KEY: key },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
      const { url, port } = JSON.parse(line) as { url: string; port: number };
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

      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await receiver.close();
    }
  });

  it('refuses to start without STRIPE_WEBHOOK_SECRET, naming it', async () => {
    const env = { ...process.env };
    delete env.STRIPE_WEBHOOK_SECRET;
    const child = spawn(process.execPath, ['--import', 'tsx', cli, '--port', '0'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(2);
    expect(stderr).toContain('STRIPE_WEBHOOK_SECRET');
  });
});
