import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from './index.js';

/**
 * Runs a service when its main module is the process entry point (not when a test imports it):
 * start it, stop it cleanly on SIGINT/SIGTERM, and exit with a one-line message on bad config.
 */
export function runWhenMain(moduleUrl: string, start: () => Promise<{ stop(): Promise<void> }>): void {
  const entry = process.argv[1];
  if (!entry || moduleUrl !== pathToFileURL(resolve(entry)).href) return;
  start()
    .then((svc) => {
      const shutdown = () => void svc.stop().then(() => process.exit(0), () => process.exit(1));
      process.once('SIGINT', shutdown);
      process.once('SIGTERM', shutdown);
    })
    .catch((err: unknown) => {
      console.error(err instanceof ConfigError ? err.message : err);
      process.exit(1);
    });
}
