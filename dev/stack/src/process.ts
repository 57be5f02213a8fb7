import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** How a crashed process is restarted, as compose's `restart: unless-stopped` with backoff. */
export interface RestartPolicy {
  /** Wait before the first restart; doubled after each crash, up to maxBackoffMs. */
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** A run at least this long counts as healthy: the backoff and the crash count start over. */
  minUptimeMs: number;
  /** Give up after this many crashes in a row, each within minUptimeMs of its start. */
  maxFastCrashes: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = { initialBackoffMs: 500, maxBackoffMs: 30_000, minUptimeMs: 10_000, maxFastCrashes: 5 };

export interface SupervisorEvents {
  /** A run started: the first one, or a restart after a crash (restarts > 0). */
  started?(info: { name: string; pid: number | undefined; restarts: number }): void;
  /** A run ended without being asked to; the process starts again after `delayMs`. */
  restarting?(info: { name: string; code: number | null; signal: NodeJS.Signals | null; restarts: number; delayMs: number }): void;
  /** The process kept crashing right after start: it stays down. */
  gaveUp?(info: { name: string; code: number | null; signal: NodeJS.Signals | null; crashes: number }): void;
}

/** What a supervised process is doing now, as the stack's status file shows it. */
export type SupervisedState = 'running' | 'restarting' | 'stopped' | 'gave-up';

export interface Supervised {
  name: string;
  /** running, restarting (crashed, waiting out its backoff), stopped (asked to), gave-up. */
  readonly state: SupervisedState;
  /** The current run's process. */
  readonly child: ChildProcess;
  /** How many times it was restarted after a crash. */
  readonly restarts: number;
  /** Whether a run is alive now (false while it waits to restart, and after giving up). */
  readonly running: boolean;
  /** Resolves with the last exit code once the supervisor is done: stopped, or given up. */
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

/**
 * Runs a child whose output is prefixed with its name, so one terminal shows the whole system,
 * and restarts it when it exits unasked, with capped exponential backoff.
 */
export function supervise(
  name: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  events: SupervisorEvents = {},
  policy: RestartPolicy = DEFAULT_RESTART_POLICY,
): Supervised {
  const prefix = `${name.padEnd(10)}|`;
  let child!: ChildProcess;
  let runExited!: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  let restarts = 0;
  let fastCrashes = 0;
  let stopping = false;
  let gaveUp = false;
  let waiting: NodeJS.Timeout | undefined;
  let finish!: (code: number | null) => void;
  const exited = new Promise<number | null>((resolve) => (finish = resolve));

  const run = () => {
    const startedAt = Date.now();
    child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [child.stdout, child.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', (line) => process.stdout.write(`${prefix} ${line}\n`));
    }
    events.started?.({ name, pid: child.pid, restarts });
    runExited = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.once('error', (err) => {
        process.stdout.write(`${prefix} failed to start: ${err.message}\n`);
        resolve({ code: -1, signal: null });
      });
    });
    void runExited.then(({ code, signal }) => {
      if (stopping) return finish(code);
      fastCrashes = Date.now() - startedAt < policy.minUptimeMs ? fastCrashes + 1 : 1;
      if (fastCrashes >= policy.maxFastCrashes) {
        gaveUp = true;
        events.gaveUp?.({ name, code, signal, crashes: fastCrashes });
        return finish(code);
      }
      const delayMs = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** (fastCrashes - 1));
      restarts += 1;
      events.restarting?.({ name, code, signal, restarts, delayMs });
      waiting = setTimeout(() => {
        waiting = undefined;
        if (!stopping) run();
      }, delayMs);
    });
  };
  run();

  return {
    name,
    get child() {
      return child;
    },
    get restarts() {
      return restarts;
    },
    get state(): SupervisedState {
      if (gaveUp) return 'gave-up';
      if (waiting !== undefined) return 'restarting';
      if (child.exitCode !== null || child.signalCode !== null) return stopping ? 'stopped' : 'restarting';
      return stopping ? 'stopped' : 'running';
    },
    get running() {
      return child.exitCode === null && child.signalCode === null && waiting === undefined;
    },
    exited,
    async stop(signal = 'SIGTERM', graceMs = 10_000) {
      stopping = true;
      if (waiting) {
        clearTimeout(waiting);
        waiting = undefined;
        const last = await runExited;
        return finish(last.code);
      }
      if (child.exitCode !== null || child.signalCode !== null) return void (await exited);
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
