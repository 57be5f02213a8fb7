/**
 * Runs the Mux emulator as a process, for `make run`:
 *   tsx dev/mux-emulator/src/cli.ts --port 8095 --webhook-url http://127.0.0.1:8092/webhooks/mux \
 *     --webhook-secret <secret> [--token-id <id> --token-secret <secret>] [--data-dir .data/mux]
 *     [--auto-complete-ms N] [--processing-ms N] [--host 127.0.0.1] [--public-url URL]
 * Secrets may come from MUX_WEBHOOK_SECRET / MUX_TOKEN_ID / MUX_TOKEN_SECRET instead of flags
 * (keeps them out of `ps`). Prints {"url","port"} as one JSON line on stdout once listening;
 * logs go to stderr as JSON lines; SIGINT/SIGTERM close it (state saved).
 */
import { parseArgs } from 'node:util';
import { startMuxEmulator } from './index.js';
import { cliTools } from '@flix/testkit/cli';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8095' },
    host: { type: 'string', default: '127.0.0.1' },
    'webhook-url': { type: 'string' },
    'webhook-secret': { type: 'string' },
    'token-id': { type: 'string' },
    'token-secret': { type: 'string' },
    'data-dir': { type: 'string' },
    'auto-complete-ms': { type: 'string' },
    'processing-ms': { type: 'string' },
    'public-url': { type: 'string' },
  },
});

const cli = cliTools('mux-emulator');
const { logger, int } = cli;
// Annotated so that a call narrows like a never-returning function declaration.
const fail: (message: string) => never = cli.fail;

const webhookSecret = values['webhook-secret'] ?? process.env.MUX_WEBHOOK_SECRET;
if (!webhookSecret) fail('--webhook-secret (or MUX_WEBHOOK_SECRET) is required');
const tokenId = values['token-id'] ?? process.env.MUX_TOKEN_ID;
const tokenSecret = values['token-secret'] ?? process.env.MUX_TOKEN_SECRET;
if (Boolean(tokenId) !== Boolean(tokenSecret)) fail('set both --token-id and --token-secret (or MUX_TOKEN_ID/MUX_TOKEN_SECRET), or neither');

const emulator = await startMuxEmulator({
  port: int('port', values.port, 0, 65535),
  host: values.host,
  webhookUrl: values['webhook-url'],
  webhookSecret,
  tokenId,
  tokenSecret,
  dataDir: values['data-dir'] ?? null,
  autoCompleteMs: int('auto-complete-ms', values['auto-complete-ms'], 0, 86_400_000) ?? null,
  processingMs: int('processing-ms', values['processing-ms'], 0, 86_400_000),
  publicUrl: values['public-url'],
  logger,
}).catch((e: unknown) => fail((e as Error).message));
process.stdout.write(`${JSON.stringify({ url: emulator.url, port: emulator.port })}\n`);
logger.info({ url: emulator.url, webhookUrl: values['webhook-url'] ?? null, dataDir: values['data-dir'] ?? null }, 'mux-emulator: listening');

let stopping = false;
const stop = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'mux-emulator: shutting down');
  emulator.close().then(
    () => process.exit(0),
    (e: unknown) => {
      logger.error({ err: (e as Error).message }, 'mux-emulator: close failed');
      process.exit(1);
    },
  );
};
process.once('SIGINT', () => stop('SIGINT'));
process.once('SIGTERM', () => stop('SIGTERM'));
