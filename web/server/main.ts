/**
 * The viewer web app's server (`build/dist/web-server.mjs` in production and `make run`; tests run the source): serves the built app
 * (FLIX_WEB_DIST, default web/dist) on FLIX_WEB_PORT / HTTP_PORT (default 8090) behind the
 * gateway's catch-all route. SIGTERM / SIGINT stop it after the requests in flight.
 */
import { runWhenMain } from '@flix/config';
import { createLogger } from '@flix/logging';
import { startWebServer, type WebServer } from './app.js';
import { readWebConfig } from './config.js';

export { readWebConfig, DEFAULT_MEDIA_ORIGINS, type WebConfig } from './config.js';
export { contentSecurityPolicy, createWebHandler, securityHeaders, startWebServer, type WebServer } from './app.js';

export async function startWeb(env: Record<string, string | undefined> = process.env): Promise<WebServer & { stop(): Promise<void> }> {
  const cfg = readWebConfig(env);
  const logger = createLogger('web', { level: cfg.logLevel });
  const server = await startWebServer({
    host: cfg.host,
    port: cfg.port,
    dist: cfg.dist,
    mediaOrigins: cfg.mediaOrigins,
    onError: (err, path) => logger.error({ err: err.message, path }, 'web: a file failed while being sent'),
  });
  logger.info({ url: server.url, dist: cfg.dist, mediaOrigins: cfg.mediaOrigins }, 'web: serving the app');
  return {
    ...server,
    async stop() {
      logger.info('web: stopping');
      await server.close();
    },
  };
}

runWhenMain(import.meta.url, () => startWeb());
