/**
 * A client that behaves as a careful real one does while parts of the system restart: it retries
 * on 503/429 (waiting what Retry-After or RetryInfo asks, else backing off), on 502/504 and on
 * connection errors and timeouts, within a time budget; every mutation carries an
 * Idempotency-Key that its retries repeat. Every attempt is recorded with its outcome.
 * Each virtual user connects from its own loopback address (127.0.0.<10+vu>), so the gateway's
 * per-client limits see one client per user, as they would see people on their own networks.
 */
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';

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
  /** Calls whose retry (same Idempotency-Key) was finally answered 409: the key did not make the retry safe. */
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
  private readonly agent: Agent;

  constructor(
    private readonly base: string,
    private readonly recorder: Recorder,
    readonly vu: number,
    private readonly defaults: { timeoutMs: number; budgetMs: number } = { timeoutMs: 15_000, budgetMs: 60_000 },
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: 4, localAddress: vu >= 0 ? `127.0.0.${10 + (vu % 240)}` : undefined });
  }

  close(): void {
    this.agent.destroy();
  }

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
        const res = await send(this.agent, url, method, headers, opts.rawBody ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)), opts.timeoutMs ?? this.defaults.timeoutMs);
        const text = res.text;
        let body: unknown = text;
        try {
          body = text ? JSON.parse(text) : {};
        } catch {
          // Not JSON (the emulator's HTML pages): the text is the body.
        }
        const ms = performance.now() - t0;
        // A 409 that says when to retry (ABORTED, e.g. IDEMPOTENCY_KEY_IN_USE: the first attempt's
        // claim is still held) is retried as asked; a bare 409 is an answer.
        const hint = RETRY_STATUSES.has(res.status) || res.status === 409 ? retryHintMs(res.headers, body) : undefined;
        const retry = RETRY_STATUSES.has(res.status) || (res.status === 409 && hint !== undefined);
        this.recorder.record({
          vu: this.vu, op, method, path: redact(path), attempt, at, ms, status: res.status, key,
          ...(res.status === 503 || res.status === 429 || res.status === 409 ? { retryHint: hint !== undefined } : {}),
          ...(res.status >= 400 && res.status !== 404 ? { errorBody: text.slice(0, 300) } : {}),
        });
        // A retry carries the first attempt's key: a final conflict means the key did not make it safe.
        if (res.status === 409 && !retry && attempt > 1) this.recorder.conflictsAfterRetry.push({ vu: this.vu, op, path: redact(path), key, body: text.slice(0, 300) });
        if (!retry) return { status: res.status, body: body as T, headers: res.headers, attempts: attempt, ambiguousBefore: ambiguous };
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

/** One HTTP exchange (redirects are answers, not followed). */
function send(agent: Agent, url: string, method: string, headers: Record<string, string>, body: string | undefined, timeoutMs: number): Promise<{ status: number; headers: Headers; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent, headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) }, signal: AbortSignal.timeout(timeoutMs) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : v);
        resolve({ status: res.statusCode ?? 0, headers: h, text: Buffer.concat(chunks).toString() });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Paths carry ids, never secrets; query strings are cut (they could). */
function redact(path: string): string {
  return path.replace(/\?.*$/, '');
}

function errorCode(err: unknown): string {
  const e = err as { name?: string; code?: string; cause?: { code?: string; name?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError' || e?.cause?.name === 'TimeoutError') return 'timeout';
  return e?.cause?.code ?? e?.code ?? e?.name ?? 'error';
}
