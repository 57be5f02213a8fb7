import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectNats, type NatsClients } from '@flix/events';
import { connectMongo, ensureIndexes, type MongoConnection } from '@flix/mongo';
import { freePort, startMongo, waitForPort, type MongoHandle } from '@flix/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLAYBACK_INDEXES } from './indexes.js';
import { FallbackProgressJournal, MongoProgressJournal } from './fallback-journal.js';
import { JetStreamProgressJournal } from './progress-journal.js';

// nats-server on a fixed port and store dir, so it can be killed and started again as in an outage.
let natsPort: number;
let natsDir: string;
let natsProc: ChildProcess | undefined;
async function startNatsServer(): Promise<void> {
  natsProc = spawn(process.env.NATS_SERVER_BIN ?? 'nats-server', ['-a', '127.0.0.1', '-p', String(natsPort), '-js', '-sd', natsDir], { stdio: 'ignore' });
  await waitForPort(natsPort);
}
async function killNatsServer(): Promise<void> {
  const p = natsProc;
  if (!p || p.exitCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGKILL');
  await exited;
}

let mongoServer: MongoHandle;
let mongo: MongoConnection;
let nats: NatsClients;
let journal: FallbackProgressJournal;

beforeAll(async () => {
  natsPort = await freePort();
  natsDir = mkdtempSync(join(tmpdir(), 'flix-journal-nats-'));
  [mongoServer] = await Promise.all([startMongo(), startNatsServer()]);
  mongo = await connectMongo(mongoServer.url, 'playback-journal-test', 'journal-test');
  await ensureIndexes(mongo.db, PLAYBACK_INDEXES);
  nats = await connectNats(`nats://127.0.0.1:${natsPort}`, 'journal-test');
  const primary = await JetStreamProgressJournal.open(nats.nc, nats.js, nats.jsm);
  journal = new FallbackProgressJournal(primary, new MongoProgressJournal(mongo.db), () => nats.availability.up);
});

afterAll(async () => {
  await nats?.nc.close();
  await mongo?.close();
  await killNatsServer();
  await mongoServer?.stop();
  rmSync(natsDir, { recursive: true, force: true });
});

const snap = (sessionId: string, positionSeconds: number, at: Date) => ({ sessionId, positionSeconds, watchedSeconds: positionSeconds, rebufferMs: 0, at });
async function until(ok: () => boolean, timeoutMs: number): Promise<void> {
  const started = Date.now();
  while (!ok()) {
    if (Date.now() - started > timeoutMs) throw new Error(`not reached in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the heartbeat journal during a NATS outage', () => {
  it('keeps answering heartbeats (journaled in MongoDB), reads the newest of both journals, and returns to JetStream when NATS is back', async () => {
    const id = 'a1f8b6f0-0000-4000-8000-000000000001';
    const t0 = Date.now();
    await journal.record(snap(id, 10, new Date(t0)));
    expect(await journal.last(id)).toMatchObject({ positionSeconds: 10 });

    await killNatsServer();
    await until(() => !nats.availability.up, 5_000);
    const started = Date.now();
    await journal.record(snap(id, 20, new Date(t0 + 1000)));
    const ms = Date.now() - started;
    expect(ms).toBeLessThan(1_000);
    expect(await journal.last(id)).toMatchObject({ positionSeconds: 20 });
    // An older heartbeat arriving late does not move the position back.
    await journal.record(snap(id, 15, new Date(t0 + 500)));
    expect(await journal.last(id)).toMatchObject({ positionSeconds: 20 });

    await startNatsServer();
    await until(() => nats.availability.up, 15_000);
    // JetStream's last entry (10) is older than the fallback's (20): the newer wins.
    expect(await journal.last(id)).toMatchObject({ positionSeconds: 20 });
    await journal.record(snap(id, 30, new Date(t0 + 2000)));
    expect(await journal.last(id)).toMatchObject({ positionSeconds: 30 });
    expect(await new MongoProgressJournal(mongo.db).last(id)).toMatchObject({ positionSeconds: 20 }); // went to JetStream, not Mongo
    console.log('heartbeat journal during NATS outage answered in (ms):', ms);
  }, 40_000);
});
