import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/*
 * Why not listen(0) and close: the kernel hands that port out again at once — as the local end of
 * any outgoing connection (a driver's socket in the other test worker) or to the next listen(0) —
 * and the server started on it a moment later fails with EADDRINUSE (seen on CI). So ports come
 * from below the ephemeral range, where the kernel never picks on its own, and each test worker
 * (VITEST_POOL_ID) takes from its own slice, so two workers never offer each other the same one.
 */
const SLICES = 16;
const FLOOR = 10_000;

function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > FLOOR ? low : 32_768;
  } catch {
    return 32_768;
  }
}

const sliceSize = Math.floor((ephemeralLow() - FLOOR) / SLICES);
const poolId = Number(process.env.VITEST_POOL_ID);
// Scripts outside vitest (bench, fault runs) use the slices vitest's two workers leave alone.
const slice = Number.isInteger(poolId) && poolId > 0 ? poolId % SLICES : 4 + (process.pid % (SLICES - 4));
const sliceStart = FLOOR + slice * sliceSize;
// A random start, so consecutive test files in one worker (fresh processes) do not retry the same ports.
let cursor = Math.floor(Math.random() * sliceSize);

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    // 0.0.0.0 clashes with anything bound to the port on any IPv4 address, 127.0.0.1 included.
    srv.listen(port, '0.0.0.0', () => srv.close(() => resolve(true)));
  });
}

/** A TCP port, outside the kernel's ephemeral range, that was free a moment ago and that this process has not handed out before. */
export async function freePort(): Promise<number> {
  for (let tried = 0; tried < sliceSize; tried++) {
    const port = sliceStart + (cursor++ % sliceSize);
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port in ${sliceStart}-${sliceStart + sliceSize - 1}`);
}

/** Resolves once something accepts TCP connections on host:port, or rejects after timeoutMs. */
export async function waitForPort(port: number, host = '127.0.0.1', timeoutMs = 15_000): Promise<void> {
  const { connect } = await import('node:net');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, host);
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listening on ${host}:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
