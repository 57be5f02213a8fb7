import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';

export interface StreamSpec {
  name: string;
  subjects: string[];
  /** How long messages are kept (ms). */
  maxAgeMs: number;
  /** Cap on the stream's size in bytes; -1 for none. */
  maxBytes?: number;
  /** JetStream de-duplication window on Nats-Msg-Id (ms). Default 2 minutes. */
  duplicateWindowMs?: number;
  description?: string;
}

const DUPLICATE_WINDOW_MS = 2 * 60 * 1000;

function desired(spec: StreamSpec): Partial<StreamConfig> & { name: string } {
  // Only fields nats-server 2.9 knows: no metadata, compression or subject transforms.
  return {
    name: spec.name,
    subjects: spec.subjects,
    description: spec.description,
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    max_age: nanos(spec.maxAgeMs),
    max_bytes: spec.maxBytes ?? -1,
    // The server refuses a duplicate window longer than max_age.
    duplicate_window: nanos(Math.min(spec.duplicateWindowMs ?? DUPLICATE_WINDOW_MS, spec.maxAgeMs)),
    num_replicas: 1,
  };
}

function sameSubjects(a: string[] | undefined, b: string[]): boolean {
  const sa = [...(a ?? [])].sort();
  const sb = [...b].sort();
  return sa.length === sb.length && sa.every((s, i) => s === sb[i]);
}

function needsUpdate(current: StreamConfig, want: Partial<StreamConfig>): boolean {
  return (
    !sameSubjects(current.subjects, want.subjects ?? []) ||
    current.max_age !== want.max_age ||
    current.max_bytes !== want.max_bytes ||
    current.duplicate_window !== want.duplicate_window ||
    current.discard !== want.discard ||
    (current.description ?? '') !== (want.description ?? '')
  );
}

function isStreamNotFound(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound;
}

/**
 * Creates each stream that is missing and updates the mutable settings of those that differ;
 * streams already as specified are left alone, so every instance can call this at start.
 * Storage and retention cannot change on a live stream: a mismatch there is an error.
 */
export async function ensureStreams(
  jsm: JetStreamManager,
  specs: readonly StreamSpec[],
): Promise<StreamInfo[]> {
  const out: StreamInfo[] = [];
  for (const spec of specs) {
    const want = desired(spec);
    let info: StreamInfo | null = null;
    try {
      info = await jsm.streams.info(spec.name);
    } catch (err) {
      if (!isStreamNotFound(err)) throw err;
    }
    if (info === null) {
      try {
        out.push(await jsm.streams.add(want));
        continue;
      } catch (err) {
        // Another instance created it between our info and add: fall through to compare.
        info = await jsm.streams.info(spec.name).catch(() => {
          throw err;
        });
      }
    }
    const cur = info.config;
    if (cur.storage !== want.storage || cur.retention !== want.retention) {
      throw new Error(
        `stream ${spec.name} exists with storage=${cur.storage} retention=${cur.retention}; ` +
          `want ${want.storage}/${want.retention} (these cannot be changed in place)`,
      );
    }
    if (needsUpdate(cur, want)) {
      const { name: _name, storage: _s, retention: _r, num_replicas: _n, ...mutable } = want;
      out.push(await jsm.streams.update(spec.name, { ...cur, ...mutable }));
    } else {
      out.push(info);
    }
  }
  return out;
}
