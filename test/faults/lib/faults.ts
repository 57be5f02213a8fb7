/**
 * One fault: SIGKILL a child of the stack (found with `ps --ppid`), then measure how long until
 * the supervisor has it running again and the gateway's /healthz and every service's own
 * /healthz answer 200.
 */
import type { ChildName, FaultStack } from './stack.js';

export interface KillResult {
  name: ChildName;
  pid: number;
  at: number;
  /** ms from the kill until the status file showed it running again (new pid) with one more restart. */
  restartedMs?: number;
  /** ms from the kill until that, the gateway's /healthz 200 and every service's own /healthz 200 together. */
  healthyMs?: number;
  /** The services still not ready when the bound ran out. */
  notReady?: string[];
  /** /healthz answered something other than 200 at least once while it was down. */
  healthzSawIt: boolean;
  /** The status file named it as down at least once. */
  statusSawIt: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function killAndRecover(stack: FaultStack, name: ChildName, boundMs: number): Promise<KillResult> {
  const pid = stack.children().get(name);
  if (!pid) throw new Error(`no child named ${name} under the stack (pid ${stack.stackPid}): ${JSON.stringify([...stack.children()])}`);
  const before = stack.status().processes.find((p) => p.name === name);
  if (!before || before.pid !== pid) throw new Error(`the status file disagrees with ps about ${name}: ${JSON.stringify(before)} vs pid ${pid}`);
  const at = Date.now();
  process.kill(pid, 'SIGKILL');
  const result: KillResult = { name, pid, at, healthzSawIt: false, statusSawIt: false };
  while (Date.now() - at < boundMs) {
    const now = stack.status().processes.find((p) => p.name === name);
    if (now && now.state !== 'running') result.statusSawIt = true;
    const restarted = now?.state === 'running' && now.pid !== pid && now.restarts === before.restarts + 1;
    if (restarted && result.restartedMs === undefined) result.restartedMs = Date.now() - at;
    const gateway = await stack.healthy();
    if (!gateway) result.healthzSawIt = true;
    // The gateway's view can lag (it checks upstreams periodically): each service is asked too.
    const notReady = await stack.servicesNotReady();
    result.notReady = notReady;
    if (restarted && gateway && notReady.length === 0) {
      delete result.notReady;
      result.healthyMs = Date.now() - at;
      break;
    }
    await sleep(200);
  }
  return result;
}
