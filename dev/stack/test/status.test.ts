import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { supervise, type RestartPolicy, type Supervised } from '../src/process.js';
import { STATUS_FILE, stackStatus, type StackStatusFile } from '../src/status.js';

const policy: RestartPolicy = { initialBackoffMs: 300, maxBackoffMs: 300, minUptimeMs: 1_000, maxFastCrashes: 3 };
const started: Supervised[] = [];
let dir: string | undefined;

afterEach(async () => {
  await Promise.all(started.splice(0).map((p) => p.stop('SIGKILL')));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("the stack's status file", () => {
  it('names the process that is down while it waits to restart, and shows it running again with its restart count', async () => {
    dir = mkdtempSync(join(tmpdir(), 'flix-status-'));
    const lines: string[] = [];
    const status = stackStatus(dir, (_s, line) => lines.push(line));
    const events = { started: () => status.changed(), restarting: () => status.changed() };
    const sleep = [process.execPath, ['-e', 'setInterval(() => {}, 1000)']] as const;
    for (const name of ['billing', 'nats']) {
      const p = supervise(name, sleep[0], [...sleep[1]], process.env, process.cwd(), events, policy);
      started.push(p);
      status.track(p);
    }
    const read = () => JSON.parse(readFileSync(join(dir!, STATUS_FILE), 'utf8')) as StackStatusFile;
    await expect.poll(() => read().allRunning, { timeout: 5_000 }).toBe(true);
    const before = read().processes.find((p) => p.name === 'billing')!;
    expect(before.pid).toBe(started[0]!.child.pid);

    started[0]!.child.kill('SIGKILL');
    await expect.poll(() => read().down, { timeout: 5_000 }).toEqual(['billing']);
    expect(read().processes.find((p) => p.name === 'billing')).toMatchObject({ state: 'restarting', restarts: 1 });
    expect(lines).toContain('1 of 2 running; down: billing (restarting, restarts 1)');

    await expect.poll(() => read().allRunning, { timeout: 5_000 }).toBe(true);
    const after = read().processes.find((p) => p.name === 'billing')!;
    expect(after).toMatchObject({ state: 'running', restarts: 1 });
    expect(after.pid).not.toBe(before.pid);
    expect(lines.at(-1)).toBe('all 2 processes running');
  });
});
