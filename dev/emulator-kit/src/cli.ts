/**
 * What the local emulators' command lines share: `--port`, `--host` (and `--data-dir`) beside
 * their own flags, JSON log lines on stderr, exit 2 naming a bad flag, `{"url","port"}` as one
 * JSON line on stdout once listening (what dev/stack waits for), and a clean close on
 * SIGINT/SIGTERM.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export interface CliLogger {
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
}

export interface CliTools {
  logger: CliLogger;
  /** Says what is wrong on stderr and exits 2. */
  fail(message: string): never;
  /** A whole-number flag within bounds, or undefined when it was not given. */
  int(flag: string, raw: string | undefined, min: number, max: number): number | undefined;
}

export function cliTools(name: string): CliTools {
  const log =
    (level: string) =>
    (fields: object, msg: string): void => {
      process.stderr.write(`${JSON.stringify({ level, time: new Date().toISOString(), name, ...fields, msg })}\n`);
    };
  const fail = (message: string): never => {
    process.stderr.write(`${name}: ${message}\n`);
    process.exit(2);
  };
  return {
    logger: { info: log('info'), warn: log('warn'), error: log('error') },
    fail,
    int(flag, raw, min, max) {
      if (raw === undefined) return undefined;
      const n = Number(raw);
      if (!Number.isInteger(n) || n < min || n > max) fail(`--${flag} must be an integer in ${min}..${max}, got "${raw}"`);
      return n;
    },
  };
}

export type CliOptions = NonNullable<ParseArgsConfig['options']>;
type CommonOptions = { port: { type: 'string'; default: string }; host: { type: 'string'; default: string } };
/** The parsed flags, typed from the emulator's own option table. */
export type CliValues<O extends CliOptions> = ReturnType<typeof parseArgs<{ options: CommonOptions & O }>>['values'];

export interface CliContext<O extends CliOptions> extends CliTools {
  values: CliValues<O>;
  port: number;
  host: string;
  /** --data-dir, for an emulator that keeps state (`dataDir: true`); null keeps it in memory. */
  dataDir: string | null;
}

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface EmulatorCli<O extends CliOptions, S extends RunningServer> {
  /** Names log lines and error messages, e.g. `mux-emulator`. */
  name: string;
  defaultPort: number;
  defaultHost?: string;
  /** Takes --data-dir too. */
  dataDir?: boolean;
  /** The emulator's own flags, besides --port, --host and --data-dir. */
  options: O;
  /** Checks the flags (cli.fail on a bad one) and starts the server; a rejection exits 2 with its message. */
  start(cli: CliContext<O>): Promise<S>;
}

export async function runEmulatorCli<O extends CliOptions, S extends RunningServer>(spec: EmulatorCli<O, S>): Promise<S> {
  const tools = cliTools(spec.name);
  const options = {
    port: { type: 'string', default: String(spec.defaultPort) },
    host: { type: 'string', default: spec.defaultHost ?? '127.0.0.1' },
    ...(spec.dataDir ? { 'data-dir': { type: 'string' } } : {}),
    ...spec.options,
  } satisfies CliOptions;
  let values: CliValues<O>;
  try {
    values = parseArgs({ options }).values as CliValues<O>;
  } catch (e) {
    return tools.fail((e as Error).message);
  }
  const common = values as { port: string; host: string; 'data-dir'?: string };
  const port = tools.int('port', common.port, 0, 65535)!;
  const context = { ...tools, values, port, host: common.host, dataDir: common['data-dir'] ?? null };
  const server = await spec.start(context).catch((e: unknown) => tools.fail((e as Error).message));
  process.stdout.write(`${JSON.stringify({ url: server.url, port: server.port })}\n`);
  closeOnSignal(spec.name, server, tools.logger);
  return server;
}

function closeOnSignal(name: string, server: RunningServer, logger: CliLogger): void {
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, `${name}: shutting down`);
    server.close().then(
      () => process.exit(0),
      (e: unknown) => {
        logger.error({ err: (e as Error).message }, `${name}: close failed`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}
