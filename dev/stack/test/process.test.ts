import { describe, expect, it } from 'vitest';
import { supervise, type RestartPolicy } from '../src/process.js';

const fast: RestartPolicy = { initialBackoffMs: 20, maxBackoffMs: 80, minUptimeMs: 1_000, maxFastCrashes: 3 };
const node = (code: string) => [process.execPath, ['-e', code]] as const;

describe('the stack supervisor', () => {
  it('restarts a process killed with SIGKILL, and stop() ends it for good', async () => {
    const restarts: number[] = [];
    const [cmd, args] = node('setInterval(() => {}, 1000)');
    const svc = supervise('sleeper', cmd, [...args], process.env, process.cwd(), { restarting: (i) => restarts.push(i.restarts) }, fast);
    const first = svc.child.pid;
    svc.child.kill('SIGKILL');
    await expect.poll(() => svc.running && svc.child.pid !== first, { timeout: 5_000 }).toBe(true);
    expect(restarts).toEqual([1]);
    expect(svc.restarts).toBe(1);
    await svc.stop();
    expect(svc.running).toBe(false);
    expect(restarts).toEqual([1]); // stopping is not a crash
  });

  it('backs off between crashes and gives up on a process that keeps crashing right after start', async () => {
    const delays: number[] = [];
    let gaveUp: { crashes: number; code: number | null } | undefined;
    const [cmd, args] = node('process.exit(3)');
    const svc = supervise('crasher', cmd, [...args], process.env, process.cwd(), { restarting: (i) => delays.push(i.delayMs), gaveUp: (i) => (gaveUp = i) }, fast);
    expect(await svc.exited).toBe(3);
    expect(delays).toEqual([20, 40]);
    expect(gaveUp).toMatchObject({ crashes: 3, code: 3 });
    expect(svc.running).toBe(false);
  });

  it('stop() while a restart is pending cancels it', async () => {
    const [cmd, args] = node('process.exit(1)');
    const svc = supervise('flaky', cmd, [...args], process.env, process.cwd(), {}, { ...fast, initialBackoffMs: 5_000 });
    await expect.poll(() => svc.restarts, { timeout: 5_000 }).toBe(1);
    await svc.stop();
    expect(await svc.exited).toBe(1);
    expect(svc.running).toBe(false);
  });
});
