/**
 * Runs the Stripe emulator as a process, for `make run`:
 *   STRIPE_WEBHOOK_SECRET=whsec_… [STRIPE_SECRET_KEY=sk_test_…] \
 *   tsx dev/stripe-emulator/src/cli.ts --port 8096 --webhook-url http://127.0.0.1:8092/webhooks/stripe \
 *     [--data-dir .data/stripe] [--host 127.0.0.1] [--public-url URL]
 * Secrets come from the environment only (never argv, where `ps` shows them). Prints
 * {"url","port"} as one JSON line on stdout once listening; logs go to stderr as JSON lines;
 * SIGINT/SIGTERM close it (state saved).
 */
import { parseArgs } from 'node:util';
import { startStripeEmulator } from './index.js';
import { cliTools } from '@flix/testkit/cli';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8096' },
    host: { type: 'string', default: '127.0.0.1' },
    'webhook-url': { type: 'string' },
    'data-dir': { type: 'string' },
    'public-url': { type: 'string' },
  },
});

const cli = cliTools('stripe-emulator');
const { logger } = cli;
// Annotated so that a call narrows like a never-returning function declaration.
const fail: (message: string) => never = cli.fail;

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be an integer in 0..65535, got "${values.port}"`);
const webhookSecret = process.env.STRIPE_WEBHOOK_SECRET;
if (!webhookSecret) fail('STRIPE_WEBHOOK_SECRET is required (the webhook signing secret, whsec_…)');
const apiKey = process.env.STRIPE_SECRET_KEY || undefined;
if (apiKey !== undefined && !/^(sk|rk)_test_/.test(apiKey)) fail('STRIPE_SECRET_KEY must be a test-mode key (sk_test_…)');

const emulator = await startStripeEmulator({
  port,
  host: values.host,
  webhookUrl: values['webhook-url'],
  webhookSecret,
  apiKey,
  dataDir: values['data-dir'] ?? null,
  publicUrl: values['public-url'],
  logger,
}).catch((e: unknown) => fail((e as Error).message));
process.stdout.write(`${JSON.stringify({ url: emulator.url, port: emulator.port })}\n`);
logger.info({ url: emulator.url, webhookUrl: values['webhook-url'] ?? null, dataDir: values['data-dir'] ?? null, apiKeyRequired: apiKey !== undefined }, 'stripe-emulator: listening');

let stopping = false;
const stop = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'stripe-emulator: shutting down');
  emulator.close().then(
    () => process.exit(0),
    (e: unknown) => {
      logger.error({ err: (e as Error).message }, 'stripe-emulator: close failed');
      process.exit(1);
    },
  );
};
process.once('SIGINT', () => stop('SIGINT'));
process.once('SIGTERM', () => stop('SIGTERM'));
