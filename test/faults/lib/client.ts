/**
 * A client that behaves as a careful real one does while parts of the system restart: it retries
 * on 503/429 (waiting what Retry-After or RetryInfo asks, else backing off), on 502/504 and on
 * connection errors and timeouts, within a time budget; every mutation carries an
 * Idempotency-Key that its retries repeat. Every attempt is recorded with its outcome.
 */
import { randomUUID } from 'node:crypto';

export interface Attempt {
  vu: number;
  /** The journey step, e.g. register, heartbeat. */
  op: string;
  method: string;
  path: string;
  /** 1 for the first try of a call, 2… for its retries. */
  attempt: number;
  /** Epoch ms when the attempt started, and how long it took. */
  at: number;
  ms: number;
  /** The HTTP status, or undefined when no response came. */
  status?: number;
  /** ECONNREFUSED, ECONNRESET, timeout, … when no response came. */
  error?: string;
  /** Whether a 503/429 said when to retry (Retry-After header or a RetryInfo detail). */
  retryHint?: boolean;
  /** The body of a 5xx (first 300 characters), as evidence. */
  errorBody?: string;
  key?: string;
}

export interface CallResult<T> {
  status: number;
  body: T;
  headers: Headers;
  /** Attempts this call took. */
  attempts: number;
  /** An earlier attempt may have been applied without our hearing (timeout, reset, 502/504). */
  ambiguousBefore: boolean;
}

/** The client ran out of budget: the last attempt's outcome. */
export class GaveUp extends Error {
  constructor(
    readonly op: string,
    readonly last: Pick<Attempt, 'status' | 'error'>,
  ) {
    super(`${op}: gave up after retries (last ${last.status ?? last.error})`);
  }
}

export class Recorder {
  readonly attempts: Attempt[] = [];
  /** Calls whose retry, after an attempt that may have been applied, was answered 409: the key was not honoured. */
  readonly conflictsAfterRetry: { vu: number; op: string; path: string; key?: string; body: string }[] = [];
  record(a: Attempt): void {
    this.attempts.push(a);
  }
}

export interface CallOptions {
  body?: unknown;
  token?: string;
  /** Per attempt. */
  timeoutMs?: number;
  /** Total time a call may spend retrying. */
  budgetMs?: number;
  /** Headers of the call's own (e.g. a form post to the Stripe emulator). */
  headers?: Record<string, string>;
  rawBody?: string;
}

const RETRY_STATUSES = new Set([429, 502, 503, 504]);
const MUTATIONS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How long a 503/429 asks to wait: Retry-After (seconds) or a google.rpc.RetryInfo detail. */
export function retryHintMs(headers: Headers, body: unknown): number | undefined {
  const after = headers.get('retry-after');
  if (after !== null && /^\d+(\.\d+)?$/.test(after.trim())) return Number(after) * 1000;
  const details = (body as { details?: { '@type'?: string; retryDelay?: string }[] } | null)?.details;
  const info = Array.isArray(details) ? details.find((d) => d?.['@type']?.endsWith('google.rpc.RetryInfo')) : undefined;
  if (info?.retryDelay && /^\d+(\.\d+)?s$/.test(info.retryDelay)) return Number(info.retryDelay.slice(0, -1)) * 1000;
  return undefined;
}

export class Client {
  constructor(
    private readonly base: string,
    private readonly recorder: Recorder,
    readonly vu: number,
    private readonly defaults: { timeoutMs: number; budgetMs: number } = { timeoutMs: 15_000, budgetMs: 60_000 },
  ) {}

  /** One logical call, retried as described above; throws GaveUp when the budget runs out. */
  async call<T = Record<string, unknown>>(op: string, method: string, path: string, opts: CallOptions = {}): Promise<CallResult<T>> {
    const url = path.startsWith('http') ? path : `${this.base}${path}`;
    const key = MUTATIONS.has(method) ? randomUUID() : undefined;
    const deadline = Date.now() + (opts.budgetMs ?? this.defaults.budgetMs);
    let ambiguous = false;
    let backoff = 200;
    for (let attempt = 1; ; attempt++) {
      const at = Date.now();
      const t0 = performance.now();
      const headers: Record<string, string> = { ...(opts.headers ?? {}) };
      if (opts.body !== undefined) headers['content-type'] = 'application/json';
      if (opts.token) headers.authorization = `Bearer ${opts.token}`;
      if (key) headers['idempotency-key'] = key;
      let wait: number;
      let last: Pick<Attempt, 'status' | 'error'>;
      try {
        const res = await fetch(url, {
          method,
          headers,
          body: opts.rawBody ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)),
          redirect: 'manual',
          signal: AbortSignal.timeout(opts.timeoutMs ?? this.defaults.timeoutMs),
        });
        const text = await res.text();
        let body: unknown = text;
        try {
          body = text ? JSON.parse(text) : {};
        } catch {
          // Not JSON (the emulator's HTML pages): the text is the body.
        }
        const ms = performance.now() - t0;
        const hint = RETRY_STATUSES.has(res.status) ? retryHintMs(res.headers, body) : undefined;
        this.recorder.record({
          vu: this.vu, op, method, path: redact(path), attempt, at, ms, status: res.status, key,
          ...(res.status === 503 || res.status === 429 ? { retryHint: hint !== undefined } : {}),
          ...(res.status >= 500 ? { errorBody: text.slice(0, 300) } : {}),
        });
        if (res.status === 409 && ambiguous) this.recorder.conflictsAfterRetry.push({ vu: this.vu, op, path: redact(path), key, body: text.slice(0, 300) });
        if (!RETRY_STATUSES.has(res.status)) return { status: res.status, body: body as T, headers: res.headers, attempts: attempt, ambiguousBefore: ambiguous };
        // A 502/504 may have been applied upstream; a 503/429 was refused before it was.
        if (res.status === 502 || res.status === 504) ambiguous = true;
        last = { status: res.status };
        wait = hint !== undefined ? Math.min(hint, 10_000) : backoff;
      } catch (err) {
        const code = errorCode(err);
        this.recorder.record({ vu: this.vu, op, method, path: redact(path), attempt, at, ms: performance.now() - t0, error: code, key });
        // A reset or timeout may come after the server applied the request; a refused connection never does.
        if (code !== 'ECONNREFUSED') ambiguous = true;
        last = { error: code };
        wait = backoff;
      }
      backoff = Math.min(backoff * 2, 3_000);
      const jittered = wait * (0.8 + Math.random() * 0.4);
      if (Date.now() + jittered > deadline) throw new GaveUp(op, last);
      await sleep(jittered);
    }
  }
}

/** Paths carry ids, never secrets; query strings are cut (they could). */
function redact(path: string): string {
  return path.replace(/\?.*$/, '');
}

function errorCode(err: unknown): string {
  const e = err as { name?: string; code?: string; cause?: { code?: string; name?: string } };
  if (e?.name === 'TimeoutError' || e?.cause?.name === 'TimeoutError') return 'timeout';
  return e?.cause?.code ?? e?.code ?? e?.name ?? 'error';
}
