/**
 * Runs the video origin as a process, for `make run`:
 *   tsx dev/video-origin/src/cli.ts --port 8088 --mux-emulator-url http://127.0.0.1:8095
 *     [--data-dir .data] [--host 127.0.0.1] [--key-cache-ms 60000]
 * The Mux emulator URL may come from FLIX_MUX_EMULATOR_URL instead. The test stream is made on
 * first start (a few seconds) into <data-dir>/video-origin and reused. Prints {"url","port"} as
 * one JSON line on stdout once listening; logs go to stderr as JSON lines; SIGINT/SIGTERM stop it.
 */
import { parseArgs } from 'node:util';
import { startVideoOrigin, type Logger } from './index.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8088' },
    host: { type: 'string', default: '127.0.0.1' },
    'mux-emulator-url': { type: 'string' },
    'data-dir': { type: 'string' },
    'key-cache-ms': { type: 'string' },
  },
});

const log =
  (level: string) =>
  (fields: object, msg: string): void => {
    process.stderr.write(`${JSON.stringify({ level, time: new Date().toISOString(), name: 'video-origin', ...fields, msg })}\n`);
  };
const logger: Logger = { info: log('info'), warn: log('warn'), error: log('error') };

function fail(message: string): never {
  process.stderr.write(`video-origin: ${message}\n`);
  process.exit(2);
}

function int(name: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) fail(`--${name} must be an integer in ${min}..${max}, got "${raw}"`);
  return n;
}

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
