/**
 * Runs the embedded MongoDB-compatible server as a process:
 *   tsx dev/mongo-embedded/src/cli.ts --port 27018 --dir .data/mongo [--host 127.0.0.1] [--memory]
 * Prints {"url": "..."} as one JSON line on stdout once listening; SIGINT/SIGTERM close it cleanly
 * (snapshot written, journal closed). Logs go to stderr as JSON lines.
 */
import { parseArgs } from 'node:util';
import { startEmbeddedMongo, type Logger } from './index.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '27018' },
    host: { type: 'string', default: '127.0.0.1' },
    dir: { type: 'string', default: '.data/mongo' },
    memory: { type: 'boolean', default: false },
    'ttl-interval-ms': { type: 'string' },
  },
});

const log =
  (level: string) =>
  (o: object, msg?: string): void => {
    process.stderr.write(`${JSON.stringify({ level, time: new Date().toISOString(), ...o, msg })}\n`);
  };
const logger: Logger = { info: log('info'), warn: log('warn'), error: log('error') };

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`invalid --port ${values.port}\n`);
  process.exit(2);
}

const server = await startEmbeddedMongo({
  host: values.host,
  port,
  dataDir: values.memory ? null : values.dir,
  ttlMonitorIntervalMs: values['ttl-interval-ms'] ? Number(values['ttl-interval-ms']) : undefined,
  logger,
});
process.stdout.write(`${JSON.stringify({ url: server.url, port: server.port })}\n`);

let stopping = false;
const stop = (signal: string) => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'embedded mongo: shutting down');
  server.close().then(
    () => process.exit(0),
    (e: unknown) => {
      logger.error({ err: (e as Error).message }, 'embedded mongo: close failed');
      process.exit(1);
    },
  );
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
