import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, waitForPort } from '@flix/testkit';

const root = resolve(import.meta.dirname, '../..');

export type ServiceName = 'identity' | 'catalog' | 'billing' | 'playback';

export interface ServiceAddress {
  grpc: string;
  http: string;
}

export interface ProcessSystem {
  gatewayUrl: string;
  mongoUrl: string;
  natsUrl: string;
  admin: { email: string; password: string };
  services: Record<ServiceName, ServiceAddress>;
  stripe: { url: string; secretKey: string };
  /** Environment that starts another playback instance against this system (in-process variants). */
  playbackEnv(overrides: Record<string, string>): Record<string, string>;
  /** The last lines a process logged (for error messages). */
  logTail(name: string, lines?: number): string;
  /** Process ids by name (mongo, nats, stripe, identity, catalog, billing, playback, gateway). */
  pids(): Record<string, number>;
  stop(): Promise<void>;
}

interface Child {
  name: string;
  proc: ChildProcess;
  log: WriteStream;
  logPath: string;
  exited: Promise<void>;
}

/**
 * The system in the deployment shape of `make run` — the embedded MongoDB, nats-server, the Stripe
 * emulator, identity, catalog, billing, playback and the local gateway, each its own process — but
 * on free ports and a throwaway data directory, so a benchmark never collides with a `make run`
 * or another benchmark on this machine. Logs go to files in the data directory.
 */
export async function startProcessSystem(
  opts: {
    identityEnv?: Record<string, string>;
    env?: Partial<Record<ServiceName, Record<string, string>>>;
    /** Extra node flags per service, e.g. `--cpu-prof --cpu-prof-dir=…` (written when it exits). */
    nodeArgs?: Partial<Record<ServiceName, string[]>>;
  } = {},
): Promise<ProcessSystem> {
  const dataDir = mkdtempSync(join(tmpdir(), 'flix-bench-procs-'));
  const children: Child[] = [];
  const start = (name: string, command: string, args: string[], env: Record<string, string>): Child => {
    const logPath = join(dataDir, `${name}.log`);
    const log = createWriteStream(logPath);
    const proc = spawn(command, args, { cwd: root, env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout!.pipe(log, { end: false });
    proc.stderr!.pipe(log, { end: false });
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    const child = { name, proc, log, logPath, exited };
    children.push(child);
    return child;
  };
  const tsx = (file: string, extra: string[] = []) => [...extra, '--import', 'tsx', join(root, file)];
  const tail = (name: string, lines = 20) => {
    const c = children.find((x) => x.name === name);
    if (!c) return '';
    try {
      return readFileSync(c.logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  };
  const stop = async () => {
    // Gateway and services first (they drain), then the emulator, NATS and Mongo.
    for (const group of [['gateway'], ['playback', 'billing', 'catalog', 'identity'], ['stripe'], ['nats', 'mongo']]) {
      await Promise.all(
        children
          .filter((c) => group.includes(c.name) && c.proc.exitCode === null && c.proc.signalCode === null)
          .map(async (c) => {
            c.proc.kill('SIGTERM');
            const timer = setTimeout(() => c.proc.kill('SIGKILL'), 10_000);
            await c.exited;
            clearTimeout(timer);
          }),
      );
    }
    for (const c of children) c.log.end();
    rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    const ports = async (n: number) => Promise.all(Array.from({ length: n }, () => freePort()));
    const [mongoPort, natsPort, stripePort, gatewayPort] = await ports(4);
    const svcPorts = Object.fromEntries(
      await Promise.all((['identity', 'catalog', 'billing', 'playback'] as const).map(async (s) => [s, await ports(2)] as const)),
    ) as Record<ServiceName, number[]>;
    const services = Object.fromEntries(
      Object.entries(svcPorts).map(([s, [g, h]]) => [s, { grpc: `127.0.0.1:${g}`, http: `127.0.0.1:${h}` }]),
    ) as Record<ServiceName, ServiceAddress>;
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;

    start('mongo', process.execPath, [...tsx('dev/mongo-embedded/src/cli.ts'), '--port', String(mongoPort), '--dir', join(dataDir, 'mongo')], {});
    start('nats', process.env.NATS_SERVER_BIN ?? 'nats-server', ['-a', '127.0.0.1', '-p', String(natsPort), '-js', '-sd', join(dataDir, 'nats')], {});
    const stripe = { url: `http://127.0.0.1:${stripePort}`, secretKey: `sk_test_${randomBytes(16).toString('hex')}`, webhookSecret: `whsec_${randomBytes(24).toString('base64url')}` };
    start('stripe', process.execPath, [...tsx('dev/stripe-emulator/src/cli.ts'), '--port', String(stripePort), '--webhook-url', `${gatewayUrl}/webhooks/stripe`, '--data-dir', join(dataDir, 'stripe')], {
      STRIPE_SECRET_KEY: stripe.secretKey,
      STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
    });
    await Promise.all([waitForPort(mongoPort, '127.0.0.1', 60_000), waitForPort(natsPort), waitForPort(stripePort, '127.0.0.1', 60_000)]);
    const mongoUrl = `mongodb://127.0.0.1:${mongoPort}/?directConnection=true`;
    const natsUrl = `nats://127.0.0.1:${natsPort}`;

    const admin = { email: 'bench-admin@flix.local', password: 'operator-passphrase-for-bench-1' };
    const playbackSecret = randomBytes(24).toString('base64url');
    const muxKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwksUrl = `http://${services.identity.http}/.well-known/jwks.json`;
    const common = (s: ServiceName) => ({
      MONGO_URL: mongoUrl,
      NATS_URL: natsUrl,
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: services[s].grpc.split(':')[1]!,
      HTTP_PORT: services[s].http.split(':')[1]!,
      FLIX_JWKS_URL: jwksUrl,
    });
    const playbackEnv = (overrides: Record<string, string>): Record<string, string> => ({
      ...common('playback'),
      CATALOG_GRPC_ADDR: services.catalog.grpc,
      BILLING_GRPC_ADDR: services.billing.grpc,
      IDENTITY_GRPC_ADDR: services.identity.grpc,
      IDENTITY_OAUTH_URL: `http://${services.identity.http}/oauth/token`,
      FLIX_PLAYBACK_CLIENT_SECRET: playbackSecret,
      // Tokens are signed offline with this key; the Mux API is never called.
      MUX_BASE_URL: 'http://127.0.0.1:1',
      MUX_SIGNING_KEY_ID: 'bench-signing-key',
      MUX_SIGNING_KEY_PRIVATE: Buffer.from(muxKey.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()).toString('base64'),
      ...opts.env?.playback,
      ...overrides,
    });
    const env: Record<ServiceName, Record<string, string>> = {
      identity: {
        ...common('identity'),
        FLIX_ADMIN_EMAIL: admin.email,
        FLIX_ADMIN_PASSWORD: admin.password,
        FLIX_PUBLIC_URL: gatewayUrl,
        FLIX_OAUTH_CLIENTS: `playback:${playbackSecret}:catalog.read`,
        ...opts.identityEnv,
      },
      catalog: { ...common('catalog'), IDENTITY_GRPC_ADDR: services.identity.grpc, MUX_BASE_URL: 'http://127.0.0.1:1', ...opts.env?.catalog },
      billing: {
        ...common('billing'),
        CATALOG_GRPC_ADDR: services.catalog.grpc,
        STRIPE_API_BASE: stripe.url,
        STRIPE_SECRET_KEY: stripe.secretKey,
        STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
        FLIX_CHECKOUT_RETURN_URL: `${gatewayUrl}/`,
        ...opts.env?.billing,
      },
      playback: playbackEnv({}),
    };
    // Identity first: the others fetch its JWKS, and playback its service token, at start.
    start('identity', process.execPath, tsx('services/identity/src/main.ts', opts.nodeArgs?.identity), env.identity);
    await waitHealthy(`http://${services.identity.http}/healthz`, 'identity', tail);
    for (const s of ['catalog', 'billing', 'playback'] as const) start(s, process.execPath, tsx(`services/${s}/src/main.ts`, opts.nodeArgs?.[s]), env[s]);
    await Promise.all((['catalog', 'billing', 'playback'] as const).map((s) => waitHealthy(`http://${services[s].http}/healthz`, s, tail)));

    const upstreams = Object.entries(services).flatMap(([s, a]) => ['--upstream', `${s}_grpc=${a.grpc}`, '--upstream', `${s}_http=${a.http}`]);
    // Clusters of services this benchmark does not start point nowhere (fast connection refusal).
    for (const other of ['engagement', 'recommendations', 'analytics']) upstreams.push('--upstream', `${other}_grpc=127.0.0.1:1`, '--upstream', `${other}_http=127.0.0.1:1`);
    start('gateway', process.execPath, [...tsx('dev/gateway-local/src/cli.ts'), '--port', String(gatewayPort), ...upstreams], {});
    await waitForPort(gatewayPort, '127.0.0.1', 60_000);

    return { gatewayUrl, mongoUrl, natsUrl, admin, services, stripe: { url: stripe.url, secretKey: stripe.secretKey }, playbackEnv, logTail: tail, pids: () => Object.fromEntries(children.map((c) => [c.name, c.proc.pid ?? 0])), stop };
  } catch (e) {
    const logs = children.map((c) => `--- ${c.name}\n${tail(c.name, 8)}`).join('\n');
    await stop().catch(() => {});
    throw new Error(`${(e as Error).message}\n${logs}`);
  }
}

async function waitHealthy(url: string, name: string, tail: (n: string) => string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await fetch(url).then((r) => r.status === 200, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${name} not healthy after ${timeoutMs / 1000}s:\n${tail(name)}`);
}
