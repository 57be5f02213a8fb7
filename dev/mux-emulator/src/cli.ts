/**
 * Runs the Mux emulator as a process, for `make run`:
 *   tsx dev/mux-emulator/src/cli.ts --port 8095 --webhook-url http://127.0.0.1:8092/webhooks/mux \
 *     --webhook-secret <secret> [--token-id <id> --token-secret <secret>] [--data-dir .data/mux]
 *     [--auto-complete-ms N] [--processing-ms N] [--host 127.0.0.1] [--public-url URL]
 * Secrets may come from MUX_WEBHOOK_SECRET / MUX_TOKEN_ID / MUX_TOKEN_SECRET instead of flags
 * (keeps them out of `ps`). Prints {"url","port"} as one JSON line on stdout once listening;
 * logs go to stderr as JSON lines; SIGINT/SIGTERM close it (state saved).
 */
import { runEmulatorCli } from '@flix/emulator-kit';
import { startMuxEmulator } from './index.js';

await runEmulatorCli({
  name: 'mux-emulator',
  defaultPort: 8095,
  dataDir: true,
  options: {
    'webhook-url': { type: 'string' },
    'webhook-secret': { type: 'string' },
    'token-id': { type: 'string' },
    'token-secret': { type: 'string' },
    'auto-complete-ms': { type: 'string' },
    'processing-ms': { type: 'string' },
    'public-url': { type: 'string' },
  },
  async start({ values, port, host, dataDir, logger, fail, int }) {
    const webhookSecret = values['webhook-secret'] || process.env.MUX_WEBHOOK_SECRET || fail('--webhook-secret (or MUX_WEBHOOK_SECRET) is required');
    const tokenId = values['token-id'] ?? process.env.MUX_TOKEN_ID;
    const tokenSecret = values['token-secret'] ?? process.env.MUX_TOKEN_SECRET;
    if (Boolean(tokenId) !== Boolean(tokenSecret)) fail('set both --token-id and --token-secret (or MUX_TOKEN_ID/MUX_TOKEN_SECRET), or neither');
    const emulator = await startMuxEmulator({
      port,
      host,
      webhookUrl: values['webhook-url'],
      webhookSecret,
      tokenId,
      tokenSecret,
      dataDir,
      autoCompleteMs: int('auto-complete-ms', values['auto-complete-ms'], 0, 86_400_000) ?? null,
      processingMs: int('processing-ms', values['processing-ms'], 0, 86_400_000),
      publicUrl: values['public-url'],
      logger,
    });
    logger.info({ url: emulator.url, webhookUrl: values['webhook-url'] ?? null, dataDir }, 'mux-emulator: listening');
    return emulator;
  },
});
