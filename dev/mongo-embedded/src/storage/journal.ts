/**
 * Durability: an append-only journal of length-prefixed, checksummed records (group commit: one
 * fdatasync for everything appended while the previous sync ran or within the same tick) and a
 * periodic snapshot written to a temp file, fsynced and renamed over the old one.
 *
 * File layout under dataDir:
 *   snapshot.bson        records: {kind:'header', gen} then {kind:'coll', …} / {kind:'docs', …}, then {kind:'end'}
 *   journal-<gen>.log    records of JournalOp BSON documents; replayed for every gen ≥ the snapshot's
 *   mongod.lock          pid of the owning process
 *
 * A record is [u32 payload length][u32 crc32(payload)][payload]; the payload is one or more BSON
 * documents back to back. A torn or corrupt record ends a journal file's replay.
 */
import { closeSync, fdatasync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync, writev, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { crc32 } from 'node:zlib';
import { deserialize, serialize, type Binary } from 'bson';
import type { Doc, Logger } from '../types.js';
import type { IndexSpec } from './collection.js';
import type { JournalOp, Store } from './store.js';

const DESERIALIZE = { promoteLongs: true, promoteValues: true, promoteBuffers: false } as const;
const SNAPSHOT = 'snapshot.bson';

export function encodeRecord(docs: Doc[]): Buffer {
  const parts = docs.map((d) => serialize(d, { ignoreUndefined: false }));
  const payload = Buffer.concat(parts);
  const header = Buffer.alloc(8);
  header.writeUInt32LE(payload.length, 0);
  header.writeUInt32LE(crc32(payload), 4);
  return Buffer.concat([header, payload]);
}

/** Decodes records from the start of `buf`; stops at the first torn/corrupt one. */
export function decodeRecords(buf: Buffer): { records: Doc[][]; validBytes: number } {
  const records: Doc[][] = [];
  let off = 0;
  while (off + 8 <= buf.length) {
    const len = buf.readUInt32LE(off);
    const sum = buf.readUInt32LE(off + 4);
    if (off + 8 + len > buf.length) break;
    const payload = buf.subarray(off + 8, off + 8 + len);
    if (crc32(payload) !== sum) break;
    const docs: Doc[] = [];
    let p = 0;
    try {
      while (p < payload.length) {
        const size = payload.readInt32LE(p);
        docs.push(deserialize(payload.subarray(p, p + size), DESERIALIZE));
        p += size;
      }
    } catch {
      break;
    }
    records.push(docs);
    off += 8 + len;
  }
  return { records, validBytes: off };
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

const journalName = (gen: number) => `journal-${String(gen).padStart(8, '0')}.log`;

function journalGens(dir: string): number[] {
  return readdirSync(dir)
    .map((f) => /^journal-(\d+)\.log$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

interface Segment {
  gen: number;
  fd: number;
  bytes: number;
}

interface Batch {
  seg: Segment;
  chunks: Buffer[];
  waiters: Array<{ resolve: () => void; reject: (e: Error) => void }>;
}

export class Journal {
  private seg: Segment;
  private readonly queue: Batch[] = [];
  private flushing = false;
  private scheduled = false;
  private failure: Error | null = null;

  private constructor(
    private readonly dir: string,
    gen: number,
    private readonly logger?: Logger,
  ) {
    this.seg = Journal.openSegment(dir, gen);
  }

  private static openSegment(dir: string, gen: number): Segment {
    const fd = openSync(join(dir, journalName(gen)), 'a');
    fsyncDir(dir);
    return { gen, fd, bytes: 0 };
  }

  get gen(): number {
    return this.seg.gen;
  }

  get bytes(): number {
    return this.seg.bytes;
  }

  /** Queues a record; resolves once it is on disk (fdatasync). */
  append(ops: JournalOp[]): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const rec = encodeRecord(ops as unknown as Doc[]);
    this.seg.bytes += rec.length;
    let batch = this.queue.at(-1);
    if (!batch || batch === this.inFlight || batch.seg !== this.seg) {
      batch = { seg: this.seg, chunks: [], waiters: [] };
      this.queue.push(batch);
    }
    batch.chunks.push(rec);
    const done = new Promise<void>((resolve, reject) => batch.waiters.push({ resolve, reject }));
    if (!this.flushing && !this.scheduled) {
      // Let every command parsed in this tick join the same fsync.
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        void this.flush();
      });
    }
    return done;
  }

  private inFlight: Batch | null = null;

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.queue.length) {
        const batch = this.queue[0];
        this.inFlight = batch;
        try {
          await writeAll(batch.seg.fd, batch.chunks);
          await new Promise<void>((res, rej) => fdatasync(batch.seg.fd, (e) => (e ? rej(e) : res())));
          for (const w of batch.waiters) w.resolve();
        } catch (e) {
          this.failure = e instanceof Error ? e : new Error(String(e));
          this.logger?.error({ err: this.failure.message }, 'journal write failed; refusing further writes');
          for (const w of batch.waiters) w.reject(this.failure);
        }
        this.queue.shift();
        this.inFlight = null;
        if (batch.seg !== this.seg && !this.queue.some((b) => b.seg === batch.seg)) closeSync(batch.seg.fd);
      }
    } finally {
      this.flushing = false;
    }
  }

  /** Starts a new journal file; appends after this call go there. Returns the new gen. */
  rotate(): number {
    const old = this.seg;
    this.seg = Journal.openSegment(this.dir, old.gen + 1);
    if (!this.queue.some((b) => b.seg === old)) closeSync(old.fd);
    return this.seg.gen;
  }

  /** Resolves when everything appended so far is durable. */
  async drain(): Promise<void> {
    while (this.queue.length || this.flushing || this.scheduled) {
      await new Promise((r) => setImmediate(r));
      if (!this.flushing && this.queue.length) await this.flush();
    }
  }

  async close(): Promise<void> {
    await this.drain();
    closeSync(this.seg.fd);
  }

  /**
   * Opens dataDir: takes the lock, loads the snapshot, replays journals, and starts a fresh
   * journal generation.
   */
  static open(dir: string, store: Store, logger?: Logger): { journal: Journal; replayedOps: number } {
    mkdirSync(dir, { recursive: true });
    takeLock(dir);
    try {
      let snapGen = 0;
      const snapPath = join(dir, SNAPSHOT);
      if (existsSync(snapPath)) snapGen = loadSnapshot(snapPath, store);
      let replayedOps = 0;
      const gens = journalGens(dir).filter((g) => g >= snapGen);
      for (const gen of gens) {
        const buf = readFileSync(join(dir, journalName(gen)));
        const { records, validBytes } = decodeRecords(buf);
        if (validBytes < buf.length) {
          logger?.warn({ file: journalName(gen), ignoredBytes: buf.length - validBytes }, 'ignoring torn journal tail');
        }
        for (const rec of records) {
          for (const op of rec) store.apply(op as unknown as JournalOp);
          replayedOps += rec.length;
        }
      }
      // Old gens stay on disk until the next snapshot supersedes them; new writes go to a new file
      // so they never follow a torn tail.
      const next = Math.max(snapGen, ...gens, 0) + 1;
      return { journal: new Journal(dir, next, logger), replayedOps };
    } catch (e) {
      releaseLock(dir);
      throw e;
    }
  }

  /**
   * Writes a snapshot of the state captured now, tagged with a fresh journal gen (rotated
   * atomically with the capture), then removes the journals it supersedes.
   */
  async compact(store: Store): Promise<void> {
    const captured = captureState(store);
    const gen = this.rotate();
    await writeSnapshot(this.dir, gen, captured);
    await this.drain();
    for (const g of journalGens(this.dir)) if (g < gen) rmSync(join(this.dir, journalName(g)), { force: true });
  }
}

async function writeAll(fd: number, chunks: Buffer[]): Promise<void> {
  let bufs = chunks;
  while (bufs.length) {
    const written = await new Promise<number>((res, rej) => writev(fd, bufs, (e, n) => (e ? rej(e) : res(n))));
    // Partial writes: drop what went out and retry the rest.
    let left = written;
    const rest: Buffer[] = [];
    for (const b of bufs) {
      if (left >= b.length) left -= b.length;
      else {
        rest.push(b.subarray(left));
        left = 0;
      }
    }
    bufs = rest;
  }
}

interface CapturedCollection {
  db: string;
  coll: string;
  options: Doc;
  uuid: unknown;
  indexes: IndexSpec[];
  docs: Doc[];
}

/** Cheap and synchronous: stored documents are immutable, so references are a consistent view. */
function captureState(store: Store): CapturedCollection[] {
  const out: CapturedCollection[] = [];
  for (const [db, colls] of store.dbs) {
    for (const c of colls.values()) {
      out.push({
        db,
        coll: c.name,
        options: c.meta.options,
        uuid: c.meta.uuid,
        indexes: [...c.indexes.values()].map((i) => i.spec),
        docs: [...c.docs.values()],
      });
    }
  }
  return out;
}

const CHUNK_BYTES = 4 * 1024 * 1024;

async function writeSnapshot(dir: string, gen: number, colls: CapturedCollection[]): Promise<void> {
  const tmp = join(dir, `${SNAPSHOT}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    const out: Buffer[] = [encodeRecord([{ kind: 'header', version: 1, gen }])];
    const flushOut = async () => {
      if (out.length) await writeAll(fd, out.splice(0));
    };
    for (const c of colls) {
      out.push(encodeRecord([{ kind: 'coll', db: c.db, coll: c.coll, options: c.options, uuid: c.uuid, indexes: c.indexes }]));
      let chunk: Doc[] = [];
      let size = 0;
      for (const d of c.docs) {
        const bytes = serialize(d);
        size += bytes.length;
        chunk.push(d);
        if (size > CHUNK_BYTES || chunk.length >= 5000) {
          out.push(encodeRecord([{ kind: 'docs', db: c.db, coll: c.coll }, ...chunk]));
          chunk = [];
          size = 0;
          await flushOut();
          // Yield so a big snapshot does not stall client traffic.
          await new Promise((r) => setImmediate(r));
        }
      }
      if (chunk.length) out.push(encodeRecord([{ kind: 'docs', db: c.db, coll: c.coll }, ...chunk]));
    }
    out.push(encodeRecord([{ kind: 'end' }]));
    await flushOut();
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, join(dir, SNAPSHOT));
  fsyncDir(dir);
}

function loadSnapshot(path: string, store: Store): number {
  const buf = readFileSync(path);
  const { records, validBytes } = decodeRecords(buf);
  const last = records.at(-1)?.[0];
  const first = records[0]?.[0];
  if (validBytes !== buf.length || first?.kind !== 'header' || last?.kind !== 'end') {
    throw new Error(`snapshot ${path} is damaged (a snapshot is only ever renamed into place complete)`);
  }
  for (const rec of records.slice(1, -1)) {
    const head = rec[0];
    const db = String(head.db);
    const coll = String(head.coll);
    if (head.kind === 'coll') {
      store.apply({ op: 'createColl', db, coll, options: head.options as Doc, uuid: head.uuid as Binary });
      for (const spec of head.indexes as IndexSpec[]) store.apply({ op: 'createIndex', db, coll, spec });
    } else if (head.kind === 'docs') {
      for (const doc of rec.slice(1)) store.apply({ op: 'put', db, coll, doc });
    }
  }
  return Number(first.gen);
}

/** Data dirs open in this process (the pid in mongod.lock cannot tell two of them apart). */
const openHere = new Set<string>();

function takeLock(dir: string): void {
  const lock = join(dir, 'mongod.lock');
  const abs = resolve(dir);
  if (openHere.has(abs)) throw new Error(`data directory ${dir} is already open in this process`);
  if (existsSync(lock)) {
    const pid = Number(readFileSync(lock, 'utf8').trim());
    if (pid && pid !== process.pid && isAlive(pid)) {
      throw new Error(`data directory ${dir} is in use by process ${pid}`);
    }
  }
  writeFileSync(lock, String(process.pid));
  openHere.add(abs);
}

export function releaseLock(dir: string): void {
  rmSync(join(dir, 'mongod.lock'), { force: true });
  openHere.delete(resolve(dir));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
