/**
 * Runs the embedded MongoDB-compatible server as a process:
 *   tsx dev/mongo-embedded/src/cli.ts --port 27018 --dir .data/mongo [--host 127.0.0.1] [--memory]
 * Prints {"url": "..."} as one JSON line on stdout once listening; SIGINT/SIGTERM close it cleanly
 * (snapshot written, journal closed). Logs go to stderr as JSON lines.
 */
import { runEmulatorCli } from '@flix/emulator-kit';
import { startEmbeddedMongo } from './index.js';

await runEmulatorCli({
  name: 'mongo-embedded',
  defaultPort: 27018,
  options: {
    dir: { type: 'string', default: '.data/mongo' },
    memory: { type: 'boolean', default: false },
    'ttl-interval-ms': { type: 'string' },
  },
  // The server logs its own "listening" line (with the data dir it loaded).
  start: ({ values, port, host, logger, int }) =>
    startEmbeddedMongo({
      host,
      port,
      dataDir: values.memory ? null : values.dir,
      ttlMonitorIntervalMs: int('ttl-interval-ms', values['ttl-interval-ms'], 1, 86_400_000),
      logger,
    }),
});
