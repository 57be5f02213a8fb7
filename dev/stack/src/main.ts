/**
 * `make run`: the whole system on its embedded defaults, in the foreground — an embedded
 * MongoDB-compatible server, a nats-server with JetStream, every service, the web app's server
 * (web/server, serving web/dist) and the local gateway that behaves as gateway-envoy/envoy.yaml
 * does. State lives under FLIX_DATA_DIR (./.data).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { startLocalGateway } from '@flix/gateway-local';
import { createLogger } from '@flix/logging';
import { MongoClient } from 'mongodb';
import { readDescriptorSet } from '@flix/proto/descriptor';
import { supervise, type Supervised, type SupervisorEvents } from './process.js';
import { prepareRuntime, repoRoot, stackRuntime } from './runtime.js';
import { grpcAddresses, localServices, upstreamMap, webMediaOrigins, type LocalService, type StackContext } from './services.js';
import { STATUS_FILE, stackStatus } from './status.js';

const root = repoRoot();
const log = createLogger('stack');

function envPort(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) fail(`${name} must be a port number (1-65535), got "${raw}"`);
  return n;
}

function envSeconds(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 3600) fail(`${name} must be a whole number of seconds (1-3600), got "${raw}"`);
  return n;
}

function fail(message: string): never {
  console.error(`flix: ${message}`);
  process.exit(1);
}

function assertPortFree(port: number, variable: string): Promise<void> {
  return new Promise((resolvePort) => {
    const srv = createServer();
    srv.once('error', () => fail(`port ${port} is already in use; free it or set ${variable}`));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolvePort()));
  });
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} not ready after ${timeoutMs / 1000}s`);
}

const tcpOpen = (port: number) => () =>
  new Promise<boolean>((res) => {
    import('node:net').then(({ connect }) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), res(true)));
      s.once('error', () => res(false));
    });
  });

/**
 * The embedded MongoDB runs one transaction at a time (a global gate); a transaction left open by
 * a process that was killed holds it until mongod's transactionLifetimeLimitSeconds (60 s) passes,
 * stalling every service's writes that long. Transactions here take milliseconds, so the stack
 * lowers the limit (FLIX_MONGO_TXN_LIFETIME_SECONDS, default 15) after every start of the server.
 */
async function limitTransactionLifetime(url: string, seconds: number): Promise<void> {
  const client = await MongoClient.connect(url, { serverSelectionTimeoutMS: 10_000 });
  try {
    await client.db('admin').command({ setParameter: 1, transactionLifetimeLimitSeconds: seconds });
  } finally {
    await client.close();
  }
}

/** The value of a settled start, or its error thrown. */
function settled<T>(result: PromiseSettledResult<T>): T {
  if (result.status === 'rejected') throw result.reason;
  return result.value;
}

/** Secrets made once per data directory (0600), so a restart finds the same ones. */
function persistentSecrets<T extends object>(dataDir: string, file: string, make: () => T): T {
  const path = join(dataDir, file);
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as T;
  const value = make();
  writeFileSync(path, JSON.stringify(value, null, 2) + '\n', { mode: 0o600 });
  chmodSync(path, 0o600);
  return value;
}

/** The first admin: from FLIX_ADMIN_EMAIL/PASSWORD, or generated once and kept in the data dir. */
function adminCredentials(dataDir: string): { email: string; password: string; generated: boolean; fromEnv: boolean } {
  const file = join(dataDir, 'admin-credentials.json');
  if (process.env.FLIX_ADMIN_EMAIL && process.env.FLIX_ADMIN_PASSWORD)
    return { email: process.env.FLIX_ADMIN_EMAIL, password: process.env.FLIX_ADMIN_PASSWORD, generated: false, fromEnv: true };
  const generated = !existsSync(file);
  const creds = persistentSecrets(dataDir, 'admin-credentials.json', () => ({
    email: process.env.FLIX_ADMIN_EMAIL ?? 'admin@flix.local',
    password: `flix-${randomBytes(12).toString('base64url')}`,
  }));
  return { ...creds, generated, fromEnv: false };
}

/** Stops whatever main() has started so far; a failed start must not leave children running. */
let stopAll: ((code: number) => Promise<void>) | undefined;

async function main(): Promise<void> {
  const dataDir = resolve(process.env.FLIX_DATA_DIR ?? join(root, '.data'));
  const gatewayPort = envPort('FLIX_GATEWAY_PORT', 8080);
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  const webPort = envPort('FLIX_WEB_PORT', 8090);
  let services: LocalService[];
  try {
    services = localServices();
  } catch (err) {
    fail((err as Error).message);
  }
  mkdirSync(dataDir, { recursive: true });
  await assertPortFree(gatewayPort, 'FLIX_GATEWAY_PORT');
  await assertPortFree(webPort, 'FLIX_WEB_PORT');
  for (const s of services) {
    const prefix = `FLIX_${s.name.toUpperCase()}`;
    await assertPortFree(s.grpcPort, `${prefix}_GRPC_PORT (gRPC port of ${s.name})`);
    await assertPortFree(s.httpPort, `${prefix}_HTTP_PORT (HTTP port of ${s.name})`);
  }

  const children: Supervised[] = [];
  // Once the stack is up, every change of the picture is one log line naming what is down; the
  // file in the data dir always has it (before the banner too).
  let up = false;
  const status = stackStatus(dataDir, (now, line) => {
    if (!up) return;
    if (now.allRunning) log.info({ down: now.down }, `stack status: ${line}`);
    else log.warn({ down: now.down }, `stack status: ${line}`);
  });
  let stopping = false;
  /** Set once the embedded MongoDB is up: re-applies its settings after a restart. */
  let onMongoRestart: (() => void) | undefined;
  let gateway: { close(): Promise<void> } | undefined;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    up = false; // processes stopping on purpose are no status news
    log.info('stopping');
    await gateway?.close().catch(() => {});
    // Services first (they drain consumers and the outbox), then NATS and Mongo.
    const apps = children.filter((c) => c.name !== 'mongo' && c.name !== 'nats' && c.name !== 'mux' && c.name !== 'stripe' && c.name !== 'mail');
    await Promise.all(apps.map((c) => c.stop('SIGTERM')));
    for (const name of ['mux', 'stripe', 'mail', 'nats', 'mongo']) await children.find((c) => c.name === name)?.stop('SIGTERM');
    status.writeNow();
    log.info('stopped');
    process.exit(code);
  };
  stopAll = shutdown;
  process.once('SIGINT', () => void shutdown(0));
  process.once('SIGTERM', () => void shutdown(0));
  const watch = (c: Supervised) => {
    children.push(c);
    status.track(c);
  };
  // A crashed process is restarted with backoff while the rest keeps serving; one that keeps
  // crashing right after start stays down (the gateway's /healthz answers 503 meanwhile).
  const restartLog: SupervisorEvents = {
    started: ({ name, pid, restarts }) => {
      if (restarts > 0) log.info({ process: name, pid, restarts }, `${name} started again`);
      if (restarts > 0 && name === 'mongo') onMongoRestart?.();
      status.changed();
    },
    restarting: ({ name, code, signal, restarts, delayMs }) => {
      log.warn({ process: name, code, signal, restarts, delayMs }, 'a process exited unexpectedly; restarting it');
      status.changed();
    },
    gaveUp: ({ name, code, signal, crashes }) => {
      if (!stopping) log.error({ process: name, code, signal, crashes }, `${name} keeps crashing right after start; left stopped (see its lines above), the rest keeps running`);
      status.changed();
    },
  };
  // Every Node child runs its build/dist bundle (rebuilt here when stale), or its source through tsx.
  const runtime = stackRuntime();
  const node = await prepareRuntime(root, runtime, (reason, ms) => log.info({ reason, ms }, 'compiled build/dist'));

  /** The embedded MongoDB-compatible server, unless MONGO_URL points at one. */
  const startMongo = async (): Promise<string> => {
    if (process.env.MONGO_URL) return process.env.MONGO_URL;
    const port = envPort('FLIX_MONGO_PORT', 27018);
    await assertPortFree(port, 'FLIX_MONGO_PORT');
    watch(supervise('mongo', process.execPath, [...node('mongo-embedded'), '--port', String(port), '--dir', join(dataDir, 'mongo')], process.env, root, restartLog));
    await waitFor('embedded MongoDB', tcpOpen(port), 30_000);
    const url = `mongodb://127.0.0.1:${port}/?directConnection=true`;
    const lifetime = envSeconds('FLIX_MONGO_TXN_LIFETIME_SECONDS', 15);
    await limitTransactionLifetime(url, lifetime);
    onMongoRestart = () => {
      void waitFor('embedded MongoDB (restarted)', tcpOpen(port), 60_000)
        .then(() => limitTransactionLifetime(url, lifetime))
        .then(() => log.info({ transactionLifetimeLimitSeconds: lifetime }, 'embedded MongoDB restarted; transaction lifetime limit applied'))
        .catch((err: unknown) => !stopping && log.warn({ err: (err as Error).message }, 'could not set the restarted MongoDB\'s transaction lifetime limit'));
    };
    return url;
  };

  /** nats-server with JetStream, unless NATS_URL points at one. */
  const startNats = async (): Promise<string> => {
    if (process.env.NATS_URL) return process.env.NATS_URL;
    const port = envPort('FLIX_NATS_PORT', 4223);
    await assertPortFree(port, 'FLIX_NATS_PORT');
    const monitor = envPort('FLIX_NATS_MONITOR_PORT', 8223);
    watch(supervise('nats', process.env.NATS_SERVER_BIN ?? 'nats-server', ['-a', '127.0.0.1', '-p', String(port), '-m', String(monitor), '-js', '-sd', join(dataDir, 'nats'), '-n', 'flix-local'], process.env, root, restartLog));
    await waitFor('nats-server', tcpOpen(port), 15_000);
    return `nats://127.0.0.1:${port}`;
  };

  /**
   * A local stand-in for a third-party API (dev/<name>-emulator): secrets generated once per
   * data dir and passed in the environment (not argv, so `ps` does not show them); its signed
   * webhooks go through the gateway, as the real provider's would.
   */
  const startEmulator = async <S extends Record<string, string>>(name: 'mux' | 'stripe', portVariable: string, defaultPort: number, secrets: S, env: Record<string, string>) => {
    const port = envPort(portVariable, defaultPort);
    await assertPortFree(port, portVariable);
    const args = ['--port', String(port), '--webhook-url', `${gatewayUrl}/webhooks/${name}`, '--data-dir', join(dataDir, name)];
    watch(supervise(name, process.execPath, [...node(`${name}-emulator`), ...args], { ...process.env, ...env }, root, restartLog));
    const baseUrl = `http://127.0.0.1:${port}`;
    await waitFor(`${name} emulator`, async () => (await fetch(`${baseUrl}/_emulator/health`)).ok, 30_000);
    return { ...secrets, baseUrl };
  };

  // Mux and Stripe: the real services when their credentials are set, else the emulators.
  const startMux = async (): Promise<Pick<StackContext, 'mux' | 'videoOrigin'>> => {
    if (process.env.MUX_TOKEN_ID && process.env.MUX_TOKEN_SECRET && process.env.MUX_WEBHOOK_SECRET) {
      return { mux: { tokenId: process.env.MUX_TOKEN_ID, tokenSecret: process.env.MUX_TOKEN_SECRET, webhookSecret: process.env.MUX_WEBHOOK_SECRET } };
    }
    const s = persistentSecrets(dataDir, 'mux-emulator-credentials.json', () => ({
      tokenId: `dev-${randomBytes(8).toString('hex')}`,
      tokenSecret: randomBytes(24).toString('base64url'),
      webhookSecret: randomBytes(24).toString('base64url'),
    }));
    const mux = await startEmulator('mux', 'FLIX_MUX_PORT', 8095, s, { MUX_TOKEN_ID: s.tokenId, MUX_TOKEN_SECRET: s.tokenSecret, MUX_WEBHOOK_SECRET: s.webhookSecret });
    // The stand-in for stream.mux.com/image.mux.com: checks playback tokens against the emulator's signing keys.
    const originPort = envPort('FLIX_VIDEO_ORIGIN_PORT', 8088);
    await assertPortFree(originPort, 'FLIX_VIDEO_ORIGIN_PORT');
    watch(supervise('video', process.execPath, [...node('video-origin'), '--port', String(originPort), '--mux-emulator-url', mux.baseUrl, '--data-dir', dataDir], process.env, root, restartLog));
    const videoOrigin = { baseUrl: `http://127.0.0.1:${originPort}` };
    // The first start in a data dir encodes the test stream (a few seconds).
    await waitFor('video origin', async () => (await fetch(`${videoOrigin.baseUrl}/_origin/health`)).ok, 60_000);
    return { mux, videoOrigin };
  };
  const startStripe = async (): Promise<StackContext['stripe']> => {
    if (process.env.STRIPE_SECRET_KEY && process.env.STRIPE_WEBHOOK_SECRET) {
      return { secretKey: process.env.STRIPE_SECRET_KEY, webhookSecret: process.env.STRIPE_WEBHOOK_SECRET };
    }
    const s = persistentSecrets(dataDir, 'stripe-emulator-credentials.json', () => ({
      secretKey: `sk_test_${randomBytes(16).toString('hex')}`,
      webhookSecret: `whsec_${randomBytes(24).toString('base64url')}`,
    }));
    return startEmulator('stripe', 'FLIX_STRIPE_PORT', 8096, s, { STRIPE_SECRET_KEY: s.secretKey, STRIPE_WEBHOOK_SECRET: s.webhookSecret });
  };

  /**
   * The local mail catcher (maildev from npm), unless FLIX_SMTP_URL names a relay: notifications
   * sends every e-mail to it, and its web inbox shows them, so a person can click a reset link.
   * Its mail is kept under the data dir.
   */
  const startMail = async (): Promise<StackContext['mail']> => {
    if (process.env.FLIX_SMTP_URL) return { smtpUrl: process.env.FLIX_SMTP_URL };
    const smtpPort = envPort('FLIX_MAIL_SMTP_PORT', 1025);
    const webPort = envPort('FLIX_MAIL_WEB_PORT', 1080);
    await assertPortFree(smtpPort, 'FLIX_MAIL_SMTP_PORT');
    await assertPortFree(webPort, 'FLIX_MAIL_WEB_PORT');
    const bin = join(root, 'node_modules/maildev/dist/bin/maildev.js');
    if (!existsSync(bin)) throw new Error(`the mail catcher is not installed (${bin}); run npm ci, or set FLIX_SMTP_URL to a relay`);
    const args = [bin, '--smtp', String(smtpPort), '--ip', '127.0.0.1', '--web', String(webPort), '--web-ip', '127.0.0.1', '--mail-directory', join(dataDir, 'mail'), '--silent'];
    watch(supervise('mail', process.execPath, args, process.env, root, restartLog));
    const webUrl = `http://127.0.0.1:${webPort}`;
    await waitFor('mail catcher', async () => (await fetch(`${webUrl}/api/healthz`)).ok, 30_000);
    return { smtpUrl: `smtp://127.0.0.1:${smtpPort}`, webUrl };
  };

  // None of these needs another (the video origin follows the Mux emulator inside startMux), so
  // they start side by side; the services start once all of them answer. Settled, not raced: a
  // failure stops everything only after every start has spawned what it was going to.
  const [mongo, nats, media, payments, mailer] = await Promise.allSettled([startMongo(), startNats(), startMux(), startStripe(), startMail()]);
  const mongoUrl = settled(mongo);
  const natsUrl = settled(nats);
  const { mux, videoOrigin } = settled(media);
  const stripe = settled(payments);
  const mail = settled(mailer);

  const admin = adminCredentials(dataDir);
  const identity = services.find((s) => s.name === 'identity')!;
  const ctx: StackContext = {
    dataDir,
    gatewayUrl,
    adminEmail: admin.email,
    adminPassword: admin.password,
    jwksUrl: `http://127.0.0.1:${identity.httpPort}/.well-known/jwks.json`,
    mux,
    stripe,
    videoOrigin,
    playbackClientSecret: persistentSecrets(dataDir, 'playback-client.json', () => ({ secret: randomBytes(24).toString('base64url') })).secret,
    mail,
    unsubscribeSecret: persistentSecrets(dataDir, 'unsubscribe-secret.json', () => ({ secret: randomBytes(32).toString('base64url') })).secret,
    grpc: grpcAddresses(services),
  };
  for (const s of services) {
    const env = {
      ...process.env,
      MONGO_URL: mongoUrl,
      NATS_URL: natsUrl,
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: String(s.grpcPort),
      HTTP_PORT: String(s.httpPort),
      FLIX_JWKS_URL: ctx.jwksUrl,
      ...(s.env?.(ctx) ?? {}),
    };
    watch(supervise(s.name, process.execPath, node(s.name), env, root, restartLog));
  }

  // The viewer web app (web/server serving web/dist, which scripts/setup.sh builds when stale),
  // behind the gateway's catch-all `web` route; its CSP admits the video origin playback hands out.
  const webDist = join(root, 'web/dist');
  const webUrl = `http://127.0.0.1:${webPort}`;
  const webBuilt = existsSync(join(webDist, 'index.html'));
  if (webBuilt) {
    const mediaOrigins = webMediaOrigins(ctx);
    const env = { ...process.env, FLIX_WEB_HOST: '127.0.0.1', FLIX_WEB_PORT: String(webPort), FLIX_WEB_DIST: webDist, ...(mediaOrigins ? { FLIX_WEB_MEDIA_ORIGINS: mediaOrigins } : {}) };
    watch(supervise('web', process.execPath, node('web-server'), env, root, restartLog));
  } else {
    log.warn({ dist: webDist }, 'the web app is not built (FLIX_SKIP_WEB_BUILD?): the gateway answers 503 for it; build it with npm run build -w @flix/web');
  }

  gateway = await startLocalGateway({
    port: gatewayPort,
    host: '127.0.0.1',
    envoyConfig: join(root, 'gateway-envoy/envoy.yaml'),
    descriptorSet: readDescriptorSet(),
    upstreams: { ...upstreamMap(services), web: `127.0.0.1:${webPort}` },
    logger: createLogger('gateway'),
  });
  if (webBuilt) await waitFor('web app server', async () => (await fetch(`${webUrl}/healthz`)).ok, 30_000);
  await waitFor('every service (gateway /healthz)', async () => (await fetch(`${gatewayUrl}/healthz`)).status === 200, 120_000);

  const banner = [
    '',
    `Flix is up: ${gatewayUrl}  (GET /healthz → 200)`,
    '',
    webBuilt ? `  ▶ Web app: ${gatewayUrl}/   ← open this in a browser; log in as the admin below or sign up` : `  Web app:   not built (npm run build -w @flix/web, then restart)`,
    // The password itself never goes to the output, which ends up in log collectors.
    `  admin:     ${admin.email}   ${admin.fromEnv ? '(password: FLIX_ADMIN_PASSWORD)' : `(password: ${join(dataDir, 'admin-credentials.json')}${admin.generated ? ', generated now' : ''})`}`,
    '',
    `  data:      ${dataDir}   (${STATUS_FILE}: each process's state, pid and restarts)`,
    `  MongoDB:   ${mongoUrl}`,
    `  NATS:      ${natsUrl}   (nats --server ${natsUrl} stream ls)`,
    `  Mux:       ${mux.baseUrl ?? 'api.mux.com (MUX_TOKEN_ID)'}`,
    ...(videoOrigin ? [`  Video:     ${videoOrigin.baseUrl}/{playbackId}.m3u8?token=…   (stands in for stream.mux.com and image.mux.com)`] : []),
    `  Stripe:    ${stripe.baseUrl ?? 'api.stripe.com (STRIPE_SECRET_KEY)'}${stripe.baseUrl ? '   (checkout pages: Pay / Decline)' : ''}`,
    mail.webUrl
      ? `  ✉ Inbox:   ${mail.webUrl}   ← every e-mail Flix sends (welcome, verify, password reset, receipts) lands here; SMTP ${mail.smtpUrl}`
      : `  Mail:      sent through FLIX_SMTP_URL (${mail.smtpUrl.replace(/\/\/[^@/]*@/, '//***@')})`,
    ...(webBuilt ? [`  web:       ${webUrl}   (web/dist, behind the gateway's catch-all route)`] : []),
    `  log in:    curl -s ${gatewayUrl}/v1/auth/login -H 'content-type: application/json' -d '{"email":"${admin.email}","password":"<admin password>"}'`,
    'Ctrl-C stops everything; the next `make run` finds the data where it was.',
    '',
  ];
  process.stdout.write(banner.join('\n') + '\n');
  up = true;
}

main().catch(async (err: unknown) => {
  console.error(`flix: ${err instanceof Error ? err.message : String(err)}`);
  if (stopAll) await stopAll(1);
  process.exit(1);
});
