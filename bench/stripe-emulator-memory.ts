/**
 * Memory of the Stripe emulator under the checkout load `make soak` puts on it, fast: N
 * subscription checkouts driven through the real `stripe` SDK the way billing drives them (create
 * customer and checkout session with Idempotency-Keys, press Pay on the hosted page, read the
 * subscription and the invoice's payments back), webhooks delivered to a local receiver that
 * answers 200, state persisted to a data dir as under `make run`. Every `--every` checkouts it
 * prints the emulator's memory and what it holds (deliveries, state file).
 *
 *   node --expose-gc --import tsx bench/stripe-emulator-memory.ts [--checkouts 2000] [--every 200]
 *     in-process: heapUsed / heapTotal after a forced full GC, and RSS (of this process, which
 *     also runs the SDK and receiver). `--memory-only` runs without a data dir.
 *   node --import tsx bench/stripe-emulator-memory.ts --process [--checkouts 2000]
 *     the emulator as its own process (dev/stripe-emulator/src/cli.ts, as `make run` starts it):
 *     its VmRSS from /proc, as `make soak` reads it, and its heap after a full GC (a preload
 *     answers SIGUSR2). `--cli <path>` runs another copy of cli.ts
 *     (e.g. an older version checked out under build/, to compare).
 *
 * A bounded emulator levels off once its bounded histories are full: what grows after that is
 * the Stripe objects themselves (customers, subscriptions, invoices…, ~13 KB of JSON a checkout).
 * The figures for FS5 (docs/resilience.md) come from this script.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Stripe from 'stripe';
import { startStripeEmulator, type StripeEmulator } from '../dev/stripe-emulator/src/index.js';
import { arg, stringArg } from './lib/args.js';

const checkouts = arg('checkouts', 2000);
const every = arg('every', 200);
const separate = process.argv.includes('--process');
const persist = !process.argv.includes('--memory-only');
const gc = (globalThis as { gc?: () => void }).gc;
if (!separate && !gc) throw new Error('in-process mode needs node --expose-gc (see the header)');

const webhookSecret = 'whsec_bench_memory';
const apiKey = 'sk_test_bench_memory';
const dataDir = mkdtempSync(join(tmpdir(), 'stripe-mem-'));
let received = 0;
const receiver = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    received++;
    res.writeHead(200).end('{}');
  });
});
await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
const webhookUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/webhooks/stripe`;
const mb = (n: number) => (n / 1024 / 1024).toFixed(1);

/** The emulator under test: in this process, or a child process like `make run`'s. */
interface Target {
  port: number;
  url: string;
  pay(id: string): Promise<void>;
  /** Webhooks all delivered (in-process: exactly; child: the receiver has caught up). */
  settled(): Promise<void>;
  memory(): string | Promise<string>;
  close(): Promise<void>;
}

function fileMb(): string {
  try {
    return mb(statSync(join(dataDir, 'stripe-emulator.json')).size);
  } catch {
    return '0.0';
  }
}

async function inProcess(): Promise<Target> {
  const emulator: StripeEmulator = await startStripeEmulator({ webhookSecret, apiKey, dataDir: persist ? dataDir : null, webhookUrl });
  return {
    port: emulator.port,
    url: emulator.url,
    pay: async (id) => void (await emulator.pay(id)),
    settled: () => emulator.whenDelivered(),
    memory() {
      gc!();
      gc!();
      const m = process.memoryUsage();
      const deliveries = emulator.deliveries();
      return `| ${mb(m.heapUsed)} | ${mb(m.heapTotal)} | ${mb(m.rss)} | ${deliveries.length} | ${fileMb()} |`;
    },
    close: () => emulator.close(),
  };
}

async function childProcess(): Promise<Target> {
  // A preload that answers SIGUSR2 with the heap after a full GC, on fd 3, so the child's RSS can be told apart from its live heap.
  const probe = join(dataDir, 'memory-probe.cjs');
  writeFileSync(
    probe,
    `process.on('SIGUSR2', () => { global.gc(); global.gc(); const m = process.memoryUsage(); require('fs').writeSync(3, JSON.stringify({ heapUsed: m.heapUsed, heapTotal: m.heapTotal }) + '\\n'); });`,
  );
  const child: ChildProcess = spawn(
    process.execPath,
    ['--expose-gc', '--require', probe, '--import', 'tsx', stringArg('cli', 'dev/stripe-emulator/src/cli.ts'), '--port', '0', '--webhook-url', webhookUrl, '--data-dir', dataDir],
    { env: { ...process.env, STRIPE_WEBHOOK_SECRET: webhookSecret, STRIPE_SECRET_KEY: apiKey, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'ignore', 'pipe'] },
  );
  const heapLines = createInterface({ input: child.stdio[3] as NodeJS.ReadableStream })[Symbol.asyncIterator]();
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`stripe emulator exited ${code}`)));
  });
  const { port } = JSON.parse(line) as { port: number };
  const url = `http://127.0.0.1:${port}`;
  const vmRss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
  return {
    port,
    url,
    async pay(id) {
      // The hosted page's Pay button; it redirects to success_url, which is not followed.
      const res = await fetch(`${url}/checkout/${id}/pay`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '', redirect: 'manual' });
      if (res.status >= 400) throw new Error(`pay ${id}: ${res.status}`);
      await res.arrayBuffer();
    },
    async settled() {
      // Caught up once nothing more arrives for half a second.
      for (let last = -1; last !== received; ) {
        last = received;
        await new Promise((r) => setTimeout(r, 500));
      }
    },
    async memory() {
      const rss = vmRss();
      child.kill('SIGUSR2');
      const heap = JSON.parse(String((await heapLines.next()).value)) as { heapUsed: number; heapTotal: number };
      return `| ${mb(heap.heapUsed)} | ${mb(heap.heapTotal)} | ${mb(rss)} | – | ${fileMb()} |`;
    },
    async close() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

const target = separate ? await childProcess() : await inProcess();
const stripe = new Stripe(apiKey, { host: '127.0.0.1', port: target.port, protocol: 'http', maxNetworkRetries: 0 });
try {
  const product = await stripe.products.create({ name: 'Flix Standard' });
  const price = await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 999, recurring: { interval: 'day', interval_count: 30 } });
  console.log(`stripe emulator memory: ${checkouts} checkouts, ${separate ? 'separate process' : 'in-process'}, ${persist ? `data dir ${dataDir}` : 'no data dir'}`);
  console.log('| checkouts | heapUsed MB | heapTotal MB | RSS MB | deliveries kept | state file MB | webhooks received |');
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  console.log(`| 0 ${await target.memory()} ${received} |`);
  for (let i = 1; i <= checkouts; i++) {
    const user = `bench-user-${i}`;
    const customer = await stripe.customers.create({ email: `${user}@example.com`, metadata: { flixUserId: user } }, { idempotencyKey: `customer-${user}` });
    const session = await stripe.checkout.sessions.create(
      {
        mode: 'subscription',
        customer: customer.id,
        client_reference_id: user,
        line_items: [{ price: price.id, quantity: 1 }],
        success_url: 'http://127.0.0.1/ok',
        cancel_url: 'http://127.0.0.1/cancel',
        subscription_data: { metadata: { flixUserId: user, flixPlanId: 'standard-monthly' } },
        metadata: { flixKind: 'subscription', flixUserId: user, flixPlanId: 'standard-monthly', flixOfferId: '' },
      },
      { idempotencyKey: `checkout-${user}` },
    );
    await target.pay(session.id);
    const { subscription } = await stripe.checkout.sessions.retrieve(session.id);
    const sub = await stripe.subscriptions.retrieve(String(subscription));
    await stripe.invoices.retrieve(String(sub.latest_invoice), { expand: ['payments'] });
    if (i % every === 0) {
      await target.settled();
      console.log(`| ${i} ${await target.memory()} ${received} |`);
    }
  }
} finally {
  await target.close();
  receiver.close();
  rmSync(dataDir, { recursive: true, force: true });
}
