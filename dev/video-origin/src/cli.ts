/**
 * Runs the video origin as a process, for `make run`:
 *   tsx dev/video-origin/src/cli.ts --port 8088 --mux-emulator-url http://127.0.0.1:8095
 *     [--data-dir .data] [--host 127.0.0.1] [--key-cache-ms 60000]
 * The Mux emulator URL may come from FLIX_MUX_EMULATOR_URL instead. The test stream is made on
 * first start (a few seconds) into <data-dir>/video-origin and reused. Prints {"url","port"} as
 * one JSON line on stdout once listening; logs go to stderr as JSON lines; SIGINT/SIGTERM stop it.
 */
import { parseArgs } from 'node:util';
import { startVideoOrigin } from './index.js';
import { cliTools } from '@flix/testkit/cli';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8088' },
    host: { type: 'string', default: '127.0.0.1' },
    'mux-emulator-url': { type: 'string' },
    'data-dir': { type: 'string' },
    'key-cache-ms': { type: 'string' },
  },
});

const cli = cliTools('video-origin');
const { logger, int } = cli;
// Annotated so that a call narrows like a never-returning function declaration.
const fail: (message: string) => never = cli.fail;

const muxEmulatorUrl = values['mux-emulator-url'] ?? process.env.FLIX_MUX_EMULATOR_URL;
if (!muxEmulatorUrl) fail('--mux-emulator-url (or FLIX_MUX_EMULATOR_URL) is required: the origin checks tokens against its signing keys');
try {
  new URL(muxEmulatorUrl);
} catch {
  fail(`--mux-emulator-url must be a URL, got "${muxEmulatorUrl}"`);
}

const started = Date.now();
const origin = await startVideoOrigin({
  port: int('port', values.port, 0, 65535),
  host: values.host,
  signingKeys: { muxEmulatorUrl, cacheMs: int('key-cache-ms', values['key-cache-ms'], 0, 86_400_000) },
  dataDir: values['data-dir'] ?? null,
  logger,
}).catch((e: unknown) => fail((e as Error).message));
process.stdout.write(`${JSON.stringify({ url: origin.url, port: origin.port })}\n`);
logger.info(
  { url: origin.url, muxEmulatorUrl, streamDir: origin.stream.dir, startMs: Date.now() - started, generationMs: origin.stream.generationMs },
  'video-origin: listening',
);

let stopping = false;
const stop = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'video-origin: shutting down');
  origin.close().then(
    () => process.exit(0),
    (e: unknown) => {
      logger.error({ err: (e as Error).message }, 'video-origin: close failed');
      process.exit(1);
    },
  );
};
process.once('SIGINT', () => stop('SIGINT'));
process.once('SIGTERM', () => stop('SIGTERM'));
