/**
 * For tests of an emulator's command line: run it from its TypeScript source (node --import tsx) and drive
 * it from outside, as dev/stack does: wait for its `{"url","port"}` line, stop it with SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

export interface CliProcess {
  url: string;
  port: number;
  /** Everything it wrote to stderr so far (its JSON log lines). */
  stderr(): string;
  /** SIGTERM, then its exit code once it has exited. */
  stop(): Promise<number | null>;
  /** SIGKILL unless it has exited already; for `finally`. */
  kill(): void;
}

const nodeWithTsx = (cliPath: string, args: string[], env: NodeJS.ProcessEnv, stdout: 'pipe' | 'ignore'): ChildProcess =>
  spawn(process.execPath, ['--import', 'tsx', cliPath, ...args], { env, stdio: ['ignore', stdout, 'pipe'] });

function collectStderr(child: ChildProcess): () => string {
  let text = '';
  child.stderr!.on('data', (c: Buffer) => (text += c.toString()));
  return () => text;
}

/** Starts the CLI and resolves once it announced its URL; rejects with its stderr if it exits first. */
export async function startCliProcess(cliPath: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<CliProcess> {
  const child = nodeWithTsx(cliPath, args, env, 'pipe');
  const stderr = collectStderr(child);
  const exited = once(child, 'exit') as Promise<[number | null]>;
  const announced = once(createInterface({ input: child.stdout! }), 'line') as Promise<[string]>;
  const first = await Promise.race([announced, exited.then(([code]) => ({ code }))]);
  if (!Array.isArray(first)) throw new Error(`${cliPath} exited with ${String(first.code)} before listening: ${stderr()}`);
  const { url, port } = JSON.parse(first[0]) as { url: string; port: number };
  return {
    url,
    port,
    stderr,
    async stop() {
      child.kill('SIGTERM');
      const [code] = await exited;
      return code;
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** Runs the CLI to its end, for one that is meant to refuse to start. */
export async function runCliToExit(cliPath: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; stderr: string }> {
  const child = nodeWithTsx(cliPath, args, env, 'ignore');
  const stderr = collectStderr(child);
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stderr: stderr() };
}
