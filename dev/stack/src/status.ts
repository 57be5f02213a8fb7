/**
 * Which part of the stack is down, without asking the gateway: `stack-status.json` in the data
 * directory lists every supervised process with its state, pid and restart count (rewritten
 * atomically on every change), and each change logs one status line naming what is down.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Supervised, SupervisedState } from './process.js';

export const STATUS_FILE = 'stack-status.json';

export interface ProcessStatus {
  name: string;
  state: SupervisedState;
  /** The current run's pid; absent while it waits to restart or after it stopped. */
  pid?: number;
  restarts: number;
  /** When the process entered this state (ISO 8601). */
  since: string;
}

export interface StackStatusFile {
  /** The stack process itself (it also runs the local gateway). */
  stackPid: number;
  updatedAt: string;
  /** Every supervised process is running. */
  allRunning: boolean;
  /** Names of the processes not running. */
  down: string[];
  processes: ProcessStatus[];
}

export interface StackStatus {
  /** Adds a supervised process. */
  track(process: Supervised): void;
  /** Something changed (a start, crash, restart or stop): rewrite the file and log if the picture changed. */
  changed(): void;
  /** Writes the file now (at shutdown, where no later tick comes). */
  writeNow(): void;
  /** The current picture, as written to the file. */
  snapshot(): StackStatusFile;
}

export function stackStatus(dataDir: string, logLine: (status: StackStatusFile, line: string) => void): StackStatus {
  const tracked: Supervised[] = [];
  const since = new Map<string, { state: SupervisedState; at: string }>();
  const path = join(dataDir, STATUS_FILE);
  let scheduled = false;
  let lastLine = '';

  const snapshot = (): StackStatusFile => {
    const now = new Date().toISOString();
    const processes = tracked.map((p): ProcessStatus => {
      const state = p.state;
      const prev = since.get(p.name);
      if (!prev || prev.state !== state) since.set(p.name, { state, at: now });
      return { name: p.name, state, ...(state === 'running' ? { pid: p.child.pid } : {}), restarts: p.restarts, since: since.get(p.name)!.at };
    });
    const down = processes.filter((p) => p.state !== 'running').map((p) => p.name);
    return { stackPid: process.pid, updatedAt: now, allRunning: down.length === 0, down, processes };
  };

  const write = () => {
    scheduled = false;
    const status = snapshot();
    // Write then rename, so a reader never sees half a file.
    const tmp = `${path}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify(status, null, 2) + '\n');
      renameSync(tmp, path);
    } catch {
      // The data directory went away (a test's cleanup): nothing to report to.
    }
    const line =
      status.down.length === 0
        ? `all ${status.processes.length} processes running`
        : `${status.processes.length - status.down.length} of ${status.processes.length} running; down: ${status.processes
            .filter((p) => p.state !== 'running')
            .map((p) => `${p.name} (${p.state}${p.restarts ? `, restarts ${p.restarts}` : ''})`)
            .join(', ')}`;
    if (line !== lastLine) {
      lastLine = line;
      logLine(status, line);
    }
  };

  const changed = () => {
    // Coalesced: a supervisor event fires before its process is tracked, and several at once on stop.
    if (scheduled) return;
    scheduled = true;
    setImmediate(write);
  };

  return {
    track(p) {
      tracked.push(p);
      changed();
    },
    changed,
    writeNow: write,
    snapshot,
  };
}
