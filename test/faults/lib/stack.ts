/**
 * The multi-process stack exactly as `make run` starts it (build/dist rebuilt when stale, then
 * build/dist/stack.mjs, which supervises every child), but on free ports and its own temporary
 * data directory, with every child's output captured to one log file (for the secrets check and
 * for evidence). Children are found as the stack process's children (`ps --ppid`), the way an
 * operator would find what to kill.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '@flix/testkit';
import { STATUS_FILE, type StackStatusFile } from '../../../dev/stack/src/status.js';
import { LOCAL_SERVICES } from '../../../dev/stack/src/services.js';

const root = resolve(import.meta.dirname, '../../..');

/** Names of the stack's children, as its supervisor and status file call them. */
export const SERVICES = LOCAL_SERVICES.map((s) => s.name);
export type ChildName = (typeof SERVICES)[number] | 'mongo' | 'nats' | 'mux' | 'stripe' | 'video' | 'web';

export interface FaultStack {
  gatewayUrl: string;
  stripeUrl: string;
  mongoUrl: string;
  dataDir: string;
  /** Every line the stack and its children wrote (stdout and stderr). */
  logPath: string;
  admin: { email: string; password: string };
  /** The secrets the stack generated or was given (credential files in the data dir, the admin's password). */
  secrets(): { what: string; value: string }[];
  /** The stack process's children by name, from `ps --ppid`. */
  children(): Map<ChildName, number>;
  /** stack-status.json from the data dir. */
  status(): StackStatusFile;
  /** RSS (kB) of the stack process and each child, from /proc/<pid>/status. */
  rss(): Record<string, number>;
  stackPid: number;
  /** Whether the gateway's /healthz answers 200 right now. */
  healthy(): Promise<boolean>;
  /** The services whose own /healthz (on their HTTP port) does not answer 200 right now. */
  servicesNotReady(): Promise<string[]>;
  stop(): Promise<void>;
}

/** A child's name from its command line (build/dist bundles, or nats-server). */
export function childName(args: string): ChildName | undefined {
  if (/(^|\/)nats-server(\s|$)/.test(args)) return 'nats';
  const entry = /build\/dist\/([\w-]+)\.mjs/.exec(args)?.[1];
  if (!entry) return undefined;
  const aliases: Record<string, ChildName> = { 'mongo-embedded': 'mongo', 'mux-emulator': 'mux', 'stripe-emulator': 'stripe', 'video-origin': 'video', 'web-server': 'web' };
  if (entry in aliases) return aliases[entry];
  return (SERVICES as string[]).includes(entry) ? (entry as ChildName) : undefined;
}

export function childrenOf(pid: number): Map<ChildName, number> {
  let out = '';
  try {
    out = execFileSync('ps', ['--ppid', String(pid), '-o', 'pid=,args='], { encoding: 'utf8' });
  } catch {
    // ps exits 1 when there is no child.
  }
  const found = new Map<ChildName, number>();
  for (const line of out.split('\n')) {
    const m = /^\s*(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const name = childName(m[2]!);
    if (name) found.set(name, Number(m[1]));
  }
  return found;
}

export function rssKb(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export interface StartOptions {
  /** Extra environment for the stack (and so for every child). */
  env?: Record<string, string>;
  /** How long to wait for "Flix is up" (a cold start encodes the test stream). */
  timeoutMs?: number;
}

export async function startFaultStack(opts: StartOptions = {}): Promise<FaultStack> {
  const work = mkdtempSync(join(tmpdir(), 'flix-faults-'));
  const dataDir = join(work, 'data');
  const logPath = join(work, 'stack.log');
  const names = ['GATEWAY', 'WEB', 'MONGO', 'NATS', 'NATS_MONITOR', 'MUX', 'STRIPE', 'VIDEO_ORIGIN', 'MAIL_SMTP', 'MAIL_WEB'] as const;
  const ports: Record<string, string> = {};
  for (const n of names) ports[`FLIX_${n}_PORT`] = String(await freePort());
  for (const s of SERVICES) {
    ports[`FLIX_${s.toUpperCase()}_GRPC_PORT`] = String(await freePort());
    ports[`FLIX_${s.toUpperCase()}_HTTP_PORT`] = String(await freePort());
  }
  const admin = { email: 'faults-admin@flix.local', password: `operator ${Math.random().toString(36).slice(2)} passphrase` };
  // Nothing of an outer environment may point this stack at real services or someone's stores.
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['MONGO_URL', 'NATS_URL', 'STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET', 'MUX_TOKEN_ID', 'MUX_TOKEN_SECRET', 'MUX_WEBHOOK_SECRET', 'LOG_LEVEL', 'FLIX_STACK_RUNTIME']) delete env[k];
  Object.assign(env, ports, { FLIX_DATA_DIR: dataDir, FLIX_ADMIN_EMAIL: admin.email, FLIX_ADMIN_PASSWORD: admin.password, PATH: `${process.env.PATH ?? ''}:/usr/sbin` }, opts.env);

  // make run's build step: a staleness check when nothing changed.
  execFileSync(process.execPath, [join(root, 'scripts/build-dist.mjs'), '--if-stale'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const log = createWriteStream(logPath);
  const child: ChildProcess = spawn(process.execPath, ['--enable-source-maps', join(root, 'build/dist/stack.mjs')], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const gatewayUrl = `http://127.0.0.1:${ports.FLIX_GATEWAY_PORT}`;

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT');
      const killer = setTimeout(() => {
        // The stack did not stop in time: end what it started, then it.
        for (const pid of childrenOf(child.pid!).values()) process.kill(pid, 'SIGKILL');
        child.kill('SIGKILL');
      }, 30_000);
      await exited;
      clearTimeout(killer);
    }
    await new Promise<void>((r) => log.end(r));
  };

  try {
    await new Promise<void>((ready, fail) => {
      const timer = setTimeout(() => fail(new Error(`the stack was not up after ${(opts.timeoutMs ?? 180_000) / 1000}s`)), opts.timeoutMs ?? 180_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('Flix is up')) {
          clearTimeout(timer);
          ready();
        }
      });
      void exited.then((code) => fail(new Error(`the stack exited with ${code} before it was up`)));
    });
  } catch (err) {
    await stop();
    const tail = readFileSync(logPath, 'utf8').split('\n').slice(-40).join('\n');
    throw new Error(`${(err as Error).message}; log ${logPath}:\n${tail}`);
  }

  const readJson = <T>(file: string): T | undefined => (existsSync(join(dataDir, file)) ? (JSON.parse(readFileSync(join(dataDir, file), 'utf8')) as T) : undefined);
  return {
    gatewayUrl,
    stripeUrl: `http://127.0.0.1:${ports.FLIX_STRIPE_PORT}`,
    mongoUrl: `mongodb://127.0.0.1:${ports.FLIX_MONGO_PORT}/?directConnection=true`,
    dataDir,
    logPath,
    admin,
    stackPid: child.pid!,
    secrets() {
      const out: { what: string; value: string }[] = [{ what: 'admin password', value: admin.password }];
      const stripe = readJson<{ secretKey: string; webhookSecret: string }>('stripe-emulator-credentials.json');
      if (stripe) out.push({ what: 'Stripe secret key', value: stripe.secretKey }, { what: 'Stripe webhook secret', value: stripe.webhookSecret });
      const mux = readJson<{ tokenSecret: string; webhookSecret: string }>('mux-emulator-credentials.json');
      if (mux) out.push({ what: 'Mux token secret', value: mux.tokenSecret }, { what: 'Mux webhook secret', value: mux.webhookSecret });
      const playback = readJson<{ secret: string }>('playback-client.json');
      if (playback) out.push({ what: "playback's OAuth client secret", value: playback.secret });
      return out;
    },
    children: () => childrenOf(child.pid!),
    status: () => JSON.parse(readFileSync(join(dataDir, STATUS_FILE), 'utf8')) as StackStatusFile,
    rss() {
      const out: Record<string, number> = {};
      const own = rssKb(child.pid!);
      if (own !== undefined) out['stack+gateway'] = own;
      for (const [name, pid] of childrenOf(child.pid!)) {
        const kb = rssKb(pid);
        if (kb !== undefined) out[name] = kb;
      }
      return out;
    },
    healthy: async () => {
      try {
        return (await fetch(`${gatewayUrl}/healthz`, { signal: AbortSignal.timeout(3_000) })).status === 200;
      } catch {
        return false;
      }
    },
    async servicesNotReady() {
      const down = await Promise.all(
        SERVICES.map(async (s): Promise<string | null> => {
          try {
            const r = await fetch(`http://127.0.0.1:${ports[`FLIX_${s.toUpperCase()}_HTTP_PORT`]}/healthz`, { signal: AbortSignal.timeout(3_000) });
            return r.status === 200 ? null : s;
          } catch {
            return s;
          }
        }),
      );
      return down.filter((s): s is string => s !== null);
    },
    async stop() {
      await stop();
    },
  };
}

/** Removes the stack's temporary directory (data and log). */
export function removeWork(stack: FaultStack): void {
  rmSync(resolve(stack.dataDir, '..'), { recursive: true, force: true });
}
