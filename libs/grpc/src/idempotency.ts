import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { MethodDefinition } from '@grpc/grpc-js';
import { DomainError } from '@flix/errors';
import { Counter } from 'prom-client';
import type { CallContext } from './context.js';

/**
 * Idempotency keys for mutating calls, as Stripe and the IETF draft "The Idempotency-Key HTTP
 * Header Field" define them: a client that retries a POST/PUT/PATCH/DELETE with the same
 * `Idempotency-Key` gets the first call's answer again instead of a second effect.
 *
 * A key is scoped by (method, caller subject or "anonymous", key). The first call claims it
 * (pending, with a lease); a duplicate while it runs is ABORTED (409, retry later); a repeat
 * after success gets the stored response and headers with `idempotent-replayed: true`; the same
 * key with a different request is INVALID_ARGUMENT; a failed call releases the key.
 */

/** The header (gRPC metadata key) a client sends. */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
/** Set on a replayed response. */
export const REPLAYED_HEADER = 'idempotent-replayed';
/** How the header is named to clients in errors (field violations). */
const HEADER_FIELD = 'Idempotency-Key';

export const IDEMPOTENCY_DEFAULTS = {
  /** Stripe keeps keys 24 hours. */
  retentionSeconds: 24 * 3600,
  /** Longer than any call may run (GrpcServer's maxCallMs, 30 s by default). */
  leaseSeconds: 60,
} as const;

/** A key as stored: nothing in it reveals the key, the request or the response without the request. */
export interface IdempotencyRecord {
  /** Identifies the holder of a pending claim, so a stale holder cannot complete or release another's. */
  claim: string;
  state: 'pending' | 'completed';
  /** Keyed hash of the request (see RequestSecret). */
  fingerprint: string;
  /** A pending claim is abandoned (its holder crashed) once this passes. */
  leaseUntil: Date;
  /** The response and its headers, encrypted with a key derived from the request (completed only). */
  sealed?: Uint8Array;
}

export interface NewClaim {
  claim: string;
  fingerprint: string;
  method: string;
  leaseUntil: Date;
  expiresAt: Date;
}

/** Where keys live: the service's own database in production (see @flix/service). */
export interface IdempotencyKeyStore {
  /**
   * Inserts a pending claim; returns the record already there instead when the id is taken (a
   * record past its expiresAt at `now` counts as gone).
   */
  claim(id: string, claim: NewClaim, now: Date): Promise<IdempotencyRecord | undefined>;
  /** Takes over a pending claim whose lease passed before `now`; false when someone else got it first. */
  takeOver(id: string, claim: NewClaim, now: Date): Promise<boolean>;
  /** Stores the sealed response on the claim `claim` holds; a no-op if the claim is no longer its own. */
  complete(id: string, claim: string, sealed: Uint8Array, expiresAt: Date): Promise<void>;
  /** Deletes the pending claim `claim` holds (its call failed, so a retry may run again). */
  release(id: string, claim: string): Promise<void>;
}

export interface IdempotencySettings {
  /** How long a completed key answers with its stored response. */
  retentionSeconds?: number;
  /** How long a pending claim blocks duplicates before it counts as abandoned. */
  leaseSeconds?: number;
}

export interface IdempotencyOptions extends IdempotencySettings {
  store: IdempotencyKeyStore;
}

export const idempotencyReplays = new Counter({
  name: 'flix_idempotency_replays_total',
  help: 'Mutating calls answered with the stored response of an earlier call with the same Idempotency-Key',
  labelNames: ['service', 'method'] as const,
});

export const idempotencyRejections = new Counter({
  name: 'flix_idempotency_rejections_total',
  help: 'Calls refused because of their Idempotency-Key, by reason (IDEMPOTENCY_KEY_IN_USE, IDEMPOTENCY_KEY_REUSED, INVALID_IDEMPOTENCY_KEY)',
  labelNames: ['service', 'method', 'reason'] as const,
});

type AnyHandler = (request: unknown, ctx: CallContext) => Promise<unknown>;

/**
 * Parses the header: 1–255 printable ASCII characters. A Structured Field string (the IETF
 * draft's form, `"…"`) is unquoted first, so both that and Stripe's bare form work.
 */
export function parseIdempotencyKey(raw: string): string {
  let key = raw.trim();
  const quoted = /^"((?:[^"\\]|\\["\\])*)"$/.exec(key);
  if (quoted) key = quoted[1]!.replace(/\\(["\\])/g, '$1');
  if (key.length < 1 || key.length > 255 || !/^[\x20-\x7e]+$/.test(key)) {
    const description = 'must be 1 to 255 printable ASCII characters (a UUID is a good key)';
    throw new DomainError('invalid_argument', 'INVALID_IDEMPOTENCY_KEY', `${HEADER_FIELD}: ${description}`, [{ field: HEADER_FIELD, description }]);
  }
  return key;
}

/**
 * Secrets derived from the key and the whole request (the message and the cookie header, which
 * carries the refresh token for cookie sessions): the stored fingerprint, and the key that
 * encrypts the stored response. The store never holds the idempotency key, so reading it shows
 * no tokens (register and login answer with them) and offers no fast way to test passwords.
 */
class RequestSecret {
  readonly fingerprint: string;
  private readonly sealKey: Buffer;

  constructor(key: string, cookie: string, request: Uint8Array) {
    const material = createHash('sha256').update(key).update('\0').update(cookie).update('\0').update(request).digest();
    this.fingerprint = createHmac('sha256', material).update('fingerprint').digest('base64url');
    this.sealKey = createHmac('sha256', material).update('seal').digest();
  }

  seal(plain: Buffer): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.sealKey, iv);
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]);
  }

  unseal(sealed: Uint8Array): Buffer {
    const buf = Buffer.from(sealed);
    const decipher = createDecipheriv('aes-256-gcm', this.sealKey, buf.subarray(0, 12));
    decipher.setAuthTag(buf.subarray(12, 28));
    return Buffer.concat([decipher.update(buf.subarray(28)), decipher.final()]);
  }
}

/** What a replay needs: the handler's response headers and the serialized response. */
interface StoredAnswer {
  headers: [string, string[]][];
  response: string;
}

/**
 * Wraps the handlers of mutating methods so calls carrying an Idempotency-Key run at most once
 * per key. GrpcServer wraps every handler it is given; methods outside `mutating` (reads) are
 * returned as they are, and so ignore the header.
 */
export class IdempotencyKeys {
  private readonly retentionMs: number;
  private readonly leaseMs: number;

  constructor(
    private readonly opts: IdempotencyOptions & {
      /** Short service name for metrics. */
      service: string;
      /** Full paths of the methods keys apply to (see mutatingMethods). */
      mutating: ReadonlySet<string>;
      now?: () => Date;
    },
  ) {
    this.retentionMs = (opts.retentionSeconds ?? IDEMPOTENCY_DEFAULTS.retentionSeconds) * 1000;
    this.leaseMs = (opts.leaseSeconds ?? IDEMPOTENCY_DEFAULTS.leaseSeconds) * 1000;
  }

  private now(): Date {
    return this.opts.now?.() ?? new Date();
  }

  wrap(method: MethodDefinition<unknown, unknown>, handler: AnyHandler): AnyHandler {
    if (!this.opts.mutating.has(method.path)) return handler;
    return (request, ctx) => {
      const raw = ctx.metadata.get(IDEMPOTENCY_KEY_HEADER)[0];
      if (raw === undefined) return handler(request, ctx);
      return this.once(method, handler, request, ctx, String(raw));
    };
  }

  private async once(method: MethodDefinition<unknown, unknown>, handler: AnyHandler, request: unknown, ctx: CallContext, raw: string): Promise<unknown> {
    const methodName = method.path.slice(method.path.lastIndexOf('/') + 1);
    const refuse = (err: DomainError): never => {
      idempotencyRejections.inc({ service: this.opts.service, method: methodName, reason: err.reason });
      throw err;
    };
    let key: string;
    try {
      key = parseIdempotencyKey(raw);
    } catch (err) {
      return refuse(err as DomainError);
    }
    const subject = ctx.principal?.subject ?? 'anonymous';
    const id = createHash('sha256').update(JSON.stringify([method.path, subject, key])).digest('base64url');
    const cookie = ctx.metadata.get('cookie').map(String).join('; ');
    const secret = new RequestSecret(key, cookie, method.requestSerialize(request));

    for (;;) {
      const now = this.now();
      const claim: NewClaim = {
        claim: randomUUID(),
        fingerprint: secret.fingerprint,
        method: method.path,
        leaseUntil: new Date(now.getTime() + this.leaseMs),
        expiresAt: new Date(now.getTime() + this.retentionMs),
      };
      const existing = await this.opts.store.claim(id, claim, now);
      if (!existing) return this.run(method, handler, request, ctx, id, claim.claim, secret);
      if (existing.fingerprint !== secret.fingerprint) {
        const description = 'was already used with a different request; send a new key for a new request';
        return refuse(new DomainError('invalid_argument', 'IDEMPOTENCY_KEY_REUSED', `${HEADER_FIELD}: ${description}`, [{ field: HEADER_FIELD, description }]));
      }
      if (existing.state === 'completed' && existing.sealed) {
        idempotencyReplays.inc({ service: this.opts.service, method: methodName });
        return this.replay(method, ctx, secret.unseal(existing.sealed));
      }
      if (existing.leaseUntil.getTime() > now.getTime()) {
        return refuse(
          new DomainError('aborted', 'IDEMPOTENCY_KEY_IN_USE', `a request with this ${HEADER_FIELD} is still being processed; retry shortly`, [], {}, 1),
        );
      }
      // The holder's lease passed without an answer (it crashed): this call takes over.
      if (await this.opts.store.takeOver(id, claim, now)) return this.run(method, handler, request, ctx, id, claim.claim, secret);
      // Someone else took it over or finished it meanwhile: look again.
    }
  }

  private async run(
    method: MethodDefinition<unknown, unknown>,
    handler: AnyHandler,
    request: unknown,
    ctx: CallContext,
    id: string,
    claim: string,
    secret: RequestSecret,
  ): Promise<unknown> {
    // The headers the handler sets are recorded for the replay, and still sent as usual.
    const headers = new Map<string, string[]>();
    const inner: CallContext = Object.create(ctx) as CallContext;
    inner.setResponseHeader = (name, value) => {
      ctx.setResponseHeader(name, value);
      headers.set(name.toLowerCase(), typeof value === 'string' ? [value] : [...value]);
    };
    let response: unknown;
    try {
      response = await handler(request, inner);
    } catch (err) {
      // A refused or failed call is not stored: it changed nothing, so a retry may run it again.
      await this.opts.store.release(id, claim).catch((e: unknown) => this.releaseLater(id, claim, ctx, e));
      throw err;
    }
    // Runs to the end even when the client has stopped waiting (the gateway's 504): the retry
    // that follows is then answered from here.
    const answer: StoredAnswer = { headers: [...headers], response: Buffer.from(method.responseSerialize(response)).toString('base64') };
    try {
      await this.opts.store.complete(id, claim, secret.seal(Buffer.from(JSON.stringify(answer))), new Date(this.now().getTime() + this.retentionMs));
    } catch (err) {
      // The change is made; failing the call now would invite a retry. The claim expires with its lease.
      ctx.logger.warn({ err }, 'idempotency key not completed; a retry after the lease runs the call again');
    }
    return response;
  }

  /**
   * The call failed and so did the release, typically because MongoDB is away — the very outage
   * that failed the call. Until the release lands, the client's retry would be refused as "in
   * use" for the whole lease, so keep trying (the store's own claim check keeps this safe if the
   * lease has passed and another call holds the key by then).
   */
  private releaseLater(id: string, claim: string, ctx: CallContext, first: unknown): void {
    ctx.logger.warn({ err: first }, 'idempotency key not released yet; retrying until the store answers');
    const giveUpAt = this.now().getTime() + this.leaseMs;
    let delayMs = 250;
    const attempt = () => {
      this.opts.store.release(id, claim).catch((err: unknown) => {
        if (this.now().getTime() + delayMs >= giveUpAt) {
          ctx.logger.warn({ err }, 'idempotency key not released; it expires with its lease');
          return;
        }
        delayMs = Math.min(delayMs * 2, 2_000);
        setTimeout(attempt, delayMs).unref();
      });
    };
    setTimeout(attempt, delayMs).unref();
  }

  private replay(method: MethodDefinition<unknown, unknown>, ctx: CallContext, plain: Buffer): unknown {
    const answer = JSON.parse(plain.toString('utf8')) as StoredAnswer;
    for (const [name, values] of answer.headers) ctx.setResponseHeader(name, values);
    ctx.setResponseHeader(REPLAYED_HEADER, 'true');
    return method.responseDeserialize(Buffer.from(answer.response, 'base64'));
  }
}

/** In-process store, for tests and single-process tools. */
export class MemoryIdempotencyKeyStore implements IdempotencyKeyStore {
  readonly records = new Map<string, IdempotencyRecord & { expiresAt: Date }>();

  async claim(id: string, c: NewClaim, now: Date): Promise<IdempotencyRecord | undefined> {
    const existing = this.records.get(id);
    if (existing && existing.expiresAt.getTime() > now.getTime()) return { ...existing };
    this.records.set(id, { claim: c.claim, state: 'pending', fingerprint: c.fingerprint, leaseUntil: c.leaseUntil, expiresAt: c.expiresAt });
    return undefined;
  }

  async takeOver(id: string, c: NewClaim, now: Date): Promise<boolean> {
    const existing = this.records.get(id);
    if (!existing || existing.state !== 'pending' || existing.leaseUntil.getTime() > now.getTime()) return false;
    this.records.set(id, { ...existing, claim: c.claim, leaseUntil: c.leaseUntil, expiresAt: c.expiresAt });
    return true;
  }

  async complete(id: string, claim: string, sealed: Uint8Array, expiresAt: Date): Promise<void> {
    const existing = this.records.get(id);
    if (existing?.claim === claim && existing.state === 'pending') this.records.set(id, { ...existing, state: 'completed', sealed, expiresAt });
  }

  async release(id: string, claim: string): Promise<void> {
    const existing = this.records.get(id);
    if (existing?.claim === claim && existing.state === 'pending') this.records.delete(id);
  }
}
