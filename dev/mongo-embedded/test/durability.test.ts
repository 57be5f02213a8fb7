/**
 * Crash safety of the embedded server: the CLI runs as a child process on a temp data dir and is
 * killed with SIGKILL; whatever it acknowledged must be there after a restart, and an open
 * transaction must leave nothing. Embedded-only (skipped when MONGO_URL points at a real server).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { MongoClient, MongoServerError } from 'mongodb';
import { REAL_MONGO_URL, tempDir } from './harness.js';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

interface Child {
  url: string;
  proc: ChildProcess;
  exited: Promise<number | null>;
}

async function startCli(dir: string): Promise<Child> {
  const proc = spawn(process.execPath, ['--import', 'tsx', CLI, '--port', '0', '--dir', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: proc.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    lines.once('line', (line) => resolve((JSON.parse(line) as { url: string }).url));
    void exited.then((code) => reject(new Error(`CLI exited (${code}) before listening: ${stderr}`)));
  });
  return { url, proc, exited };
}

const dirs: string[] = [];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function launch(dir: string): Promise<{ child: Child; client: MongoClient }> {
  const child = await startCli(dir);
  children.push(child.proc);
  const client = await new MongoClient(child.url, { serverSelectionTimeoutMS: 2000 }).connect();
  return { child, client };
}

async function crash(child: Child, client: MongoClient): Promise<void> {
  child.proc.kill('SIGKILL');
  await child.exited;
  await client.close().catch(() => {});
}

describe.skipIf(REAL_MONGO_URL)('durability of the embedded server', () => {
  it('keeps every acknowledged write across kill -9', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const N = 400;
    let { child, client } = await launch(dir);
    const coll = () => client.db('app').collection('events');
    await coll().createIndex({ seq: 1 }, { unique: true });
    await Promise.all(Array.from({ length: N }, (_, i) => coll().insertOne({ seq: i, payload: 'x'.repeat(100) })));
    await coll().updateMany({ seq: { $lt: 10 } }, { $set: { touched: true } });
    await coll().deleteOne({ seq: N - 1 });
    await crash(child, client);

    ({ child, client } = await launch(dir));
    expect(await coll().countDocuments()).toBe(N - 1);
    expect(await coll().countDocuments({ touched: true })).toBe(10);
    const seqs = (await coll().find({}, { projection: { seq: 1 } }).toArray()).map((d) => d.seq as number).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: N - 1 }, (_, i) => i));
    // The unique index came back too.
    await expect(coll().insertOne({ seq: 5 })).rejects.toMatchObject({ code: 11000 });
    await crash(child, client);
  });

  it('drops a transaction that was open when the process died, keeps committed ones', async () => {
    const dir = tempDir();
    dirs.push(dir);
    let { child, client } = await launch(dir);
    const db = () => client.db('billing');
    await db().collection('subscriptions').insertOne({ _id: 'seed' as never });
    await db().collection('outbox').insertOne({ _id: 'seed' as never });

    const committed = client.startSession();
    await committed.withTransaction(async () => {
      await db().collection('subscriptions').insertOne({ sub: 'committed' }, { session: committed });
      await db().collection('outbox').insertOne({ ev: 'committed' }, { session: committed });
    });

    const open = client.startSession();
    open.startTransaction();
    await db().collection('subscriptions').insertOne({ sub: 'open' }, { session: open });
    await db().collection('outbox').insertOne({ ev: 'open' }, { session: open });
    await db().collection('subscriptions').deleteOne({ _id: 'seed' as never }, { session: open });
    await crash(child, client);

    ({ child, client } = await launch(dir));
    expect((await db().collection('subscriptions').find({}, { projection: { _id: 0, sub: 1 } }).toArray()).map((d) => d.sub ?? 'seed').sort()).toEqual([
      'committed',
      'seed',
    ]);
    expect(await db().collection('outbox').countDocuments({ ev: 'open' })).toBe(0);
    expect(await db().collection('outbox').countDocuments({ ev: 'committed' })).toBe(1);
    await crash(child, client);
  });

  it('restarts after a clean shutdown from its snapshot', async () => {
    const dir = tempDir();
    dirs.push(dir);
    let { child, client } = await launch(dir);
    const users = () => client.db('identity').collection('users');
    await users().createIndex({ email: 1 }, { unique: true, name: 'email_unique' });
    await users().insertMany(Array.from({ length: 50 }, (_, i) => ({ email: `u${i}@x.io`, joined: new Date(1_700_000_000_000 + i) })));
    await client.close();
    child.proc.kill('SIGTERM');
    expect(await child.exited).toBe(0);
    expect(existsSync(join(dir, 'snapshot.bson'))).toBe(true);
    expect(existsSync(join(dir, 'mongod.lock'))).toBe(false);

    ({ child, client } = await launch(dir));
    expect(await users().countDocuments()).toBe(50);
    expect((await users().findOne({ email: 'u7@x.io' }))?.joined).toEqual(new Date(1_700_000_000_007));
    expect((await users().listIndexes().toArray()).map((i) => i.name)).toEqual(['_id_', 'email_unique']);
    const e = await users().insertOne({ email: 'u1@x.io' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MongoServerError);
    expect((e as MongoServerError).code).toBe(11000);
    await crash(child, client);
  });

  it('ignores a torn record at the end of the journal', async () => {
    const dir = tempDir();
    dirs.push(dir);
    let { child, client } = await launch(dir);
    const c = () => client.db('app').collection('things');
    await c().insertMany(Array.from({ length: 20 }, (_, i) => ({ i })));
    await crash(child, client);
    // Simulate a write cut short by the crash: a length prefix promising more than follows.
    const journals = readdirSync(dir).filter((f) => f.startsWith('journal-')).sort();
    const torn = Buffer.alloc(20);
    torn.writeUInt32LE(5000, 0);
    appendFileSync(join(dir, journals.at(-1)!), torn);

    ({ child, client } = await launch(dir));
    expect(await c().countDocuments()).toBe(20);
    await c().insertOne({ i: 20 });
    await crash(child, client);
    ({ child, client } = await launch(dir));
    expect(await c().countDocuments()).toBe(21);
    await crash(child, client);
  });
});
