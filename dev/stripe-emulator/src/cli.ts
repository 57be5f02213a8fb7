/**
 * Runs the Stripe emulator as a process, for `make run`:
 *   STRIPE_WEBHOOK_SECRET=whsec_… [STRIPE_SECRET_KEY=sk_test_…] \
 *   tsx dev/stripe-emulator/src/cli.ts --port 8096 --webhook-url http://127.0.0.1:8092/webhooks/stripe \
 *     [--data-dir .data/stripe] [--host 127.0.0.1] [--public-url URL]
 * Secrets come from the environment only (never argv, where `ps` shows them). Prints
 * {"url","port"} as one JSON line on stdout once listening; logs go to stderr as JSON lines;
 * SIGINT/SIGTERM close it (state saved).
 */
import { runEmulatorCli } from '@flix/emulator-kit';
import { startStripeEmulator } from './index.js';

await runEmulatorCli({
  name: 'stripe-emulator',
  defaultPort: 8096,
  dataDir: true,
  options: {
    'webhook-url': { type: 'string' },
    'public-url': { type: 'string' },
  },
  async start({ values, port, host, dataDir, logger, fail }) {
    const webhookSecret = process.env.STRIPE_WEBHOOK_SECRET || fail('STRIPE_WEBHOOK_SECRET is required (the webhook signing secret, whsec_…)');
    const apiKey = process.env.STRIPE_SECRET_KEY || undefined;
    if (apiKey !== undefined && !/^(sk|rk)_test_/.test(apiKey)) fail('STRIPE_SECRET_KEY must be a test-mode key (sk_test_…)');
    const emulator = await startStripeEmulator({
      port,
      host,
      webhookUrl: values['webhook-url'],
      webhookSecret,
      apiKey,
      dataDir,
      publicUrl: values['public-url'],
      logger,
    });
    logger.info(
      { url: emulator.url, webhookUrl: values['webhook-url'] ?? null, dataDir, apiKeyRequired: apiKey !== undefined },
      'stripe-emulator: listening',
    );
    return emulator;
  },
});
