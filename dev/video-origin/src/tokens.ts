/**
 * Checks a playback token the way Mux does for a signed playback id: an RS256 JWT signed with a
 * URL signing key (named by its `kid` claim, which is where @mux/mux-node puts it; a `kid`
 * header is taken too), `sub` = the playback id in the URL, `aud` = what is fetched
 * (v video, t thumbnail, s storyboard, g gif), `exp` required and in the future.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, errors, jwtVerify } from 'jose';

export type Audience = 'v' | 't' | 's' | 'g';

export type Refusal =
  | 'missing_token'
  | 'malformed_token'
  | 'unknown_signing_key'
  | 'bad_signature'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'wrong_playback_id'
  | 'wrong_audience';

export type TokenCheck = { ok: true; kid: string; exp: number } | { ok: false; reason: Refusal; message: string };

/** Where the public half of a signing key comes from. */
export type SigningKeySource =
  /** The local Mux emulator, `GET {url}/_emulator/signing-keys/{kid}/public`; found keys are cached for `cacheMs` (default 60 s). */
  | { muxEmulatorUrl: string; cacheMs?: number }
  /** Fixed keys: kid → SPKI PEM. */
  | { publicKeys: Record<string, string> }
  /** Anything else (e.g. an in-process emulator's `signingKeyPublicPem`). */
  | { lookup: (kid: string) => string | undefined | Promise<string | undefined> };

/** The key source could not be asked (not a token problem: the origin answers 503). */
export class KeySourceUnavailableError extends Error {}

const AUDIENCE_NAMES: Record<Audience, string> = { v: 'video', t: 'thumbnail', s: 'storyboard', g: 'gif' };

export class PlaybackTokenVerifier {
  private readonly lookup: (kid: string) => Promise<KeyObject | undefined>;

  constructor(source: SigningKeySource, private readonly now: () => Date = () => new Date()) {
    this.lookup = keyLookup(source, now);
  }

  async check(token: string | null, playbackId: string, aud: Audience): Promise<TokenCheck> {
    if (!token) return refuse('missing_token', 'This playback id is signed: a token query parameter is required.');
    let kid: unknown;
    try {
      const header = decodeProtectedHeader(token);
      const claims = decodeJwt(token);
      if (header.kid !== undefined && claims.kid !== undefined && header.kid !== claims.kid)
        return refuse('malformed_token', 'The token names two different signing keys (kid header and claim).');
      kid = claims.kid ?? header.kid;
    } catch {
      return refuse('malformed_token', 'The token is not a JWT.');
    }
    if (typeof kid !== 'string' || kid === '') return refuse('malformed_token', 'The token has no kid (signing key id) claim.');

    const key = await this.lookup(kid);
    if (!key) return refuse('unknown_signing_key', `The token is signed with signing key ${kid}, which does not exist.`);
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: ['RS256'],
        requiredClaims: ['sub', 'aud', 'exp'],
        currentDate: this.now(),
      });
      // jose checks aud/sub only when asked; done here to name the failing claim precisely.
      if (payload.sub !== playbackId) return refuse('wrong_playback_id', `The token is for playback id ${String(payload.sub)}, not ${playbackId}.`);
      const auds = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
      if (!auds.includes(aud))
        return refuse('wrong_audience', `The token's aud is ${JSON.stringify(payload.aud)}; ${AUDIENCE_NAMES[aud]} requests need aud "${aud}".`);
      return { ok: true, kid, exp: payload.exp! };
    } catch (e) {
      if (e instanceof errors.JWTExpired) return refuse('token_expired', `The token expired at ${expiry(token)}.`);
      if (e instanceof errors.JWTClaimValidationFailed && e.claim === 'nbf') return refuse('token_not_yet_valid', 'The token is not valid yet (nbf).');
      if (e instanceof errors.JWTClaimValidationFailed) return refuse('malformed_token', `The token's ${e.claim} claim is missing or invalid.`);
      if (e instanceof errors.JWSSignatureVerificationFailed) return refuse('bad_signature', `The token's signature does not verify with signing key ${kid}.`);
      if (e instanceof errors.JOSEAlgNotAllowed) return refuse('malformed_token', 'The token must be signed with RS256.');
      if (e instanceof errors.JOSEError) return refuse('malformed_token', 'The token is not a valid JWT.');
      throw e;
    }
  }
}

function refuse(reason: Refusal, message: string): TokenCheck {
  return { ok: false, reason, message };
}

function expiry(token: string): string {
  const { exp } = decodeJwt(token);
  return typeof exp === 'number' ? new Date(exp * 1000).toISOString() : 'an unknown time';
}

function toKey(pem: string): KeyObject {
  return createPublicKey(pem);
}

function keyLookup(source: SigningKeySource, now: () => Date): (kid: string) => Promise<KeyObject | undefined> {
  if ('publicKeys' in source) {
    const keys = new Map(Object.entries(source.publicKeys).map(([kid, pem]) => [kid, toKey(pem)]));
    return async (kid) => keys.get(kid);
  }
  if ('lookup' in source) {
    return async (kid) => {
      const pem = await source.lookup(kid);
      return pem ? toKey(pem) : undefined;
    };
  }
  return emulatorLookup(source.muxEmulatorUrl.replace(/\/$/, ''), source.cacheMs ?? 60_000, now);
}

/**
 * Found keys are kept `cacheMs` (a key deleted in the emulator stops working after that);
 * unknown kids are asked again every time, so a key made a moment ago works at once.
 */
function emulatorLookup(base: string, cacheMs: number, now: () => Date): (kid: string) => Promise<KeyObject | undefined> {
  const cache = new Map<string, { key: KeyObject; until: number }>();
  const pending = new Map<string, Promise<KeyObject | undefined>>();
  const fetchKey = async (kid: string): Promise<KeyObject | undefined> => {
    let res: Response;
    try {
      res = await fetch(`${base}/_emulator/signing-keys/${encodeURIComponent(kid)}/public`, { signal: AbortSignal.timeout(5_000) });
    } catch (e) {
      throw new KeySourceUnavailableError(`the Mux emulator at ${base} did not answer: ${(e as Error).message}`);
    }
    if (res.status === 404) return undefined;
    if (!res.ok) throw new KeySourceUnavailableError(`the Mux emulator at ${base} answered ${res.status} for signing key ${kid}`);
    const body = (await res.json()) as { data?: { public_key_pem?: unknown } };
    if (typeof body.data?.public_key_pem !== 'string') throw new KeySourceUnavailableError(`the Mux emulator at ${base} sent no public_key_pem`);
    const key = toKey(body.data.public_key_pem);
    cache.set(kid, { key, until: now().getTime() + cacheMs });
    return key;
  };
  return (kid) => {
    const hit = cache.get(kid);
    if (hit && hit.until > now().getTime()) return Promise.resolve(hit.key);
    let p = pending.get(kid);
    if (!p) {
      p = fetchKey(kid).finally(() => pending.delete(kid));
      pending.set(kid, p);
    }
    return p;
  };
}
