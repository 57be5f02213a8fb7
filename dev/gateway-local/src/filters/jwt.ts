/**
 * The jwt_authn filter: rules matched in order, requirements evaluated as Envoy does, tokens
 * checked in Envoy's order (format → issuer → time → audience → key → signature) with the status
 * strings of Envoy's JWT library as the reply bodies.
 */
import { createHmac, createPublicKey, createSecretKey, constants as cryptoConstants, type KeyObject, timingSafeEqual, verify } from 'node:crypto';
import type { JwtProvider, JwtRequirement, JwtRule } from '../config/envoy-config.js';
import { type MatchInput, matchRoute } from '../config/matchers.js';

export const JWT_STATUS = {
  JwtMissed: 'Jwt is missing',
  JwtNotYetValid: 'Jwt not yet valid',
  JwtExpired: 'Jwt is expired',
  JwtBadFormat: 'Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections',
  JwtHeaderParseErrorBadBase64: 'Jwt header is an invalid Base64url encoded',
  JwtHeaderParseErrorBadJson: 'Jwt header is an invalid JSON',
  JwtHeaderBadAlg: 'Jwt header [alg] field is required and must be a string',
  JwtHeaderNotImplementedAlg: 'Jwt header [alg] is not supported',
  JwtHeaderBadKid: 'Jwt header [kid] field is not a string',
  JwtPayloadParseErrorBadBase64: 'Jwt payload is an invalid Base64url encoded',
  JwtPayloadParseErrorBadJson: 'Jwt payload is an invalid JSON',
  JwtPayloadParseErrorIssNotString: 'Jwt payload [iss] field is not a string',
  JwtPayloadParseErrorSubNotString: 'Jwt payload [sub] field is not a string',
  JwtPayloadParseErrorIatNotInteger: 'Jwt payload [iat] field is not an integer',
  JwtPayloadParseErrorNbfNotInteger: 'Jwt payload [nbf] field is not an integer',
  JwtPayloadParseErrorExpNotInteger: 'Jwt payload [exp] field is not an integer',
  JwtPayloadParseErrorIatOutOfRange: 'Jwt payload [iat] field is not a positive 64 bit integer',
  JwtPayloadParseErrorNbfOutOfRange: 'Jwt payload [nbf] field is not a positive 64 bit integer',
  JwtPayloadParseErrorExpOutOfRange: 'Jwt payload [exp] field is not a positive 64 bit integer',
  JwtPayloadParseErrorJtiNotString: 'Jwt payload [jti] field is not a string',
  JwtPayloadParseErrorAudNotString: 'Jwt payload [aud] field is not a string or string list',
  JwtSignatureParseErrorBadBase64: 'Jwt signature is an invalid Base64url encoded',
  JwtEd25519SignatureWrongLength: 'Jwt ED25519 signature is wrong length',
  JwtUnknownIssuer: 'Jwt issuer is not configured',
  JwtAudienceNotAllowed: 'Audiences in Jwt are not allowed',
  JwtVerificationFail: 'Jwt verification fails',
  JwksParseError: 'Jwks is an invalid JSON',
  JwksNoKeys: 'Jwks does not have [keys] field',
  JwksBadKeys: '[keys] in Jwks is not an array',
  JwksNoValidKeys: "Jwks doesn't have any valid public key",
  JwksKidAlgMismatch: "Jwks doesn't have key to match kid or alg from Jwt",
  JwksFetchFail: 'Jwks remote fetch is failed',
} as const;

export type JwtStatus = 'Ok' | keyof typeof JWT_STATUS;

const SUPPORTED_ALGS = new Set(['ES256', 'ES384', 'ES512', 'HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA']);

interface Jwk {
  kid?: string;
  alg?: string;
  kty: string;
  crv?: string;
  key: KeyObject;
}

export interface Jwks {
  keys: Jwk[];
}

/** jwt_verify_lib's JWKS parsing: invalid keys are skipped, a set without a valid key fails. */
export function parseJwks(text: string): Jwks | JwtStatus {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return 'JwksParseError';
  }
  if (typeof doc !== 'object' || doc === null || !('keys' in doc)) return 'JwksNoKeys';
  const list = (doc as { keys: unknown }).keys;
  if (!Array.isArray(list)) return 'JwksBadKeys';
  const keys: Jwk[] = [];
  for (const raw of list) {
    if (typeof raw !== 'object' || raw === null) continue;
    const j = raw as Record<string, unknown>;
    const kty = j.kty;
    const alg = typeof j.alg === 'string' ? j.alg : undefined;
    try {
      if (kty === 'RSA' && (!alg || alg.startsWith('RS') || alg.startsWith('PS'))) {
        keys.push({ kty, alg, kid: str(j.kid), key: createPublicKey({ key: { kty, n: j.n, e: j.e } as never, format: 'jwk' }) });
      } else if (kty === 'EC' && (!alg || alg.startsWith('ES'))) {
        keys.push({ kty, alg, kid: str(j.kid), crv: str(j.crv), key: createPublicKey({ key: { kty, crv: j.crv, x: j.x, y: j.y } as never, format: 'jwk' }) });
      } else if (kty === 'OKP' && (!alg || alg === 'EdDSA') && j.crv === 'Ed25519') {
        keys.push({ kty, alg, kid: str(j.kid), crv: 'Ed25519', key: createPublicKey({ key: { kty, crv: j.crv, x: j.x } as never, format: 'jwk' }) });
      } else if (kty === 'oct' && (!alg || alg.startsWith('HS')) && typeof j.k === 'string') {
        keys.push({ kty, alg, kid: str(j.kid), key: createSecretKey(Buffer.from(j.k, 'base64url')) });
      }
    } catch {
      // A key the crypto library rejects is skipped, like an unparsable key in Envoy.
    }
  }
  return keys.length ? { keys } : 'JwksNoValidKeys';
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

const B64URL = /^[A-Za-z0-9_-]*={0,2}$/;

export interface ParsedJwt {
  alg: string;
  kid?: string;
  iss?: string;
  audiences: string[];
  nbf: number;
  exp: number;
  signedData: Buffer;
  signature: Buffer;
  payloadB64: string;
  /** The decoded claims (payload_in_metadata puts them in dynamic metadata). */
  payload: Record<string, unknown>;
}

export function parseJwt(token: string): ParsedJwt | JwtStatus {
  const parts = token.split('.');
  if (parts.length !== 3) return 'JwtBadFormat';
  const [h, p, s] = parts as [string, string, string];
  if (!B64URL.test(h)) return 'JwtHeaderParseErrorBadBase64';
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
    if (typeof header !== 'object' || header === null || Array.isArray(header)) return 'JwtHeaderParseErrorBadJson';
  } catch {
    return 'JwtHeaderParseErrorBadJson';
  }
  if (typeof header.alg !== 'string') return 'JwtHeaderBadAlg';
  if (!SUPPORTED_ALGS.has(header.alg)) return 'JwtHeaderNotImplementedAlg';
  if (header.kid !== undefined && typeof header.kid !== 'string') return 'JwtHeaderBadKid';
  if (!B64URL.test(p)) return 'JwtPayloadParseErrorBadBase64';
  let payload: Record<string, unknown>;
  try {
    payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return 'JwtPayloadParseErrorBadJson';
  } catch {
    return 'JwtPayloadParseErrorBadJson';
  }
  if (payload.iss !== undefined && typeof payload.iss !== 'string') return 'JwtPayloadParseErrorIssNotString';
  if (payload.sub !== undefined && typeof payload.sub !== 'string') return 'JwtPayloadParseErrorSubNotString';
  const times: Record<string, number> = {};
  for (const [claim, notInt, range] of [
    ['iat', 'JwtPayloadParseErrorIatNotInteger', 'JwtPayloadParseErrorIatOutOfRange'],
    ['nbf', 'JwtPayloadParseErrorNbfNotInteger', 'JwtPayloadParseErrorNbfOutOfRange'],
    ['exp', 'JwtPayloadParseErrorExpNotInteger', 'JwtPayloadParseErrorExpOutOfRange'],
  ] as const) {
    const v = payload[claim];
    if (v === undefined) {
      times[claim] = 0;
      continue;
    }
    if (typeof v !== 'number' || !Number.isInteger(v)) return notInt;
    if (v < 0) return range;
    times[claim] = v;
  }
  if (payload.jti !== undefined && typeof payload.jti !== 'string') return 'JwtPayloadParseErrorJtiNotString';
  let audiences: string[] = [];
  if (typeof payload.aud === 'string') audiences = [payload.aud];
  else if (Array.isArray(payload.aud) && payload.aud.every((a) => typeof a === 'string')) audiences = payload.aud as string[];
  else if (payload.aud !== undefined) return 'JwtPayloadParseErrorAudNotString';
  if (!B64URL.test(s)) return 'JwtSignatureParseErrorBadBase64';
  return {
    alg: header.alg,
    kid: header.kid as string | undefined,
    iss: payload.iss as string | undefined,
    audiences,
    nbf: times.nbf!,
    exp: times.exp!,
    signedData: Buffer.from(`${h}.${p}`, 'ascii'),
    signature: Buffer.from(s, 'base64url'),
    payloadB64: p,
    payload,
  };
}

/** Envoy compares audiences without scheme and trailing slash. */
const sanitizeAudience = (a: string) => a.replace(/^https?:\/\//, '').replace(/\/$/, '');

function keyFits(jwk: Jwk, alg: string): boolean {
  if (alg.startsWith('RS') || alg.startsWith('PS')) return jwk.kty === 'RSA';
  if (alg === 'EdDSA') return jwk.kty === 'OKP';
  if (alg.startsWith('HS')) return jwk.kty === 'oct';
  const curve = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' }[alg];
  return jwk.kty === 'EC' && (!jwk.crv || jwk.crv === curve);
}

function checkSignature(jwt: ParsedJwt, jwk: Jwk): boolean {
  const digest = `sha${jwt.alg.slice(2)}`;
  try {
    if (jwt.alg === 'EdDSA') return verify(null, jwt.signedData, jwk.key, jwt.signature);
    if (jwt.alg.startsWith('RS')) return verify(digest, jwt.signedData, jwk.key, jwt.signature);
    if (jwt.alg.startsWith('PS')) {
      return verify(digest, jwt.signedData, { key: jwk.key, padding: cryptoConstants.RSA_PKCS1_PSS_PADDING, saltLength: cryptoConstants.RSA_PSS_SALTLEN_DIGEST }, jwt.signature);
    }
    if (jwt.alg.startsWith('ES')) return verify(digest, jwt.signedData, { key: jwk.key, dsaEncoding: 'ieee-p1363' }, jwt.signature);
    const mac = createHmac(digest, jwk.key).update(jwt.signedData).digest();
    return mac.length === jwt.signature.length && timingSafeEqual(mac, jwt.signature);
  } catch {
    return false;
  }
}

/** jwt_verify_lib's key loop: a key that matches kid and alg but not the signature is a failure. */
export function verifySignature(jwt: ParsedJwt, jwks: Jwks): JwtStatus {
  if (jwt.alg === 'EdDSA' && jwt.signature.length !== 64) return 'JwtEd25519SignatureWrongLength';
  let matched = false;
  for (const jwk of jwks.keys) {
    if (jwt.kid && jwk.kid && jwk.kid !== jwt.kid) continue;
    if (jwk.alg && jwk.alg !== jwt.alg) continue;
    if (!keyFits(jwk, jwt.alg)) continue;
    matched = true;
    if (checkSignature(jwt, jwk)) return 'Ok';
  }
  return matched ? 'JwtVerificationFail' : 'JwksKidAlgMismatch';
}

// --------------------------------------------------------------------------------- the filter

export interface JwksSource {
  /** The cached key set, fetching when absent or expired. */
  get(provider: JwtProvider): Promise<Jwks | JwtStatus>;
  /** Fetches again because a token named a key the cached set lacks (rate-limited). */
  refresh(provider: JwtProvider): Promise<Jwks | JwtStatus | undefined>;
}

export interface JwtRequest {
  match: MatchInput;
  headers: Record<string, string | string[] | undefined>;
  query: URLSearchParams;
  nowSeconds: number;
}

export interface VerifiedToken {
  provider: JwtProvider;
  token: string;
  headerName?: string;
  payloadB64: string;
  payload: Record<string, unknown>;
}

interface Outcome {
  status: JwtStatus;
  verified: VerifiedToken[];
}

const TOKEN_CHARS = /[A-Za-z0-9_\-.=]+/;

function extractTokens(provider: JwtProvider, req: JwtRequest): { token: string; headerName?: string }[] {
  const out: { token: string; headerName?: string }[] = [];
  for (const loc of provider.fromHeaders) {
    const raw = req.headers[loc.name];
    const value = Array.isArray(raw) ? raw[0] : raw;
    if (value === undefined) continue;
    let rest = value;
    if (loc.valuePrefix) {
      const at = value.indexOf(loc.valuePrefix);
      if (at < 0) continue;
      rest = value.slice(at + loc.valuePrefix.length);
    }
    const token = TOKEN_CHARS.exec(rest)?.[0];
    if (token) out.push({ token, headerName: loc.name });
  }
  for (const param of provider.fromParams) {
    const token = req.query.get(param);
    if (token) out.push({ token });
  }
  return out;
}

export class JwtAuthenticator {
  constructor(
    private readonly providers: Map<string, JwtProvider>,
    private readonly rules: JwtRule[],
    private readonly jwks: JwksSource,
  ) {}

  /** The first rule whose match applies (its requirement may be empty: no token needed). */
  rule(req: MatchInput): JwtRule | undefined {
    return this.rules.find((r) => matchRoute(r.match, req));
  }

  async check(requirement: JwtRequirement, req: JwtRequest): Promise<Outcome> {
    switch (requirement.kind) {
      case 'provider': {
        const provider = this.providers.get(requirement.provider)!;
        const tokens = extractTokens(provider, req);
        if (tokens.length === 0) return { status: 'JwtMissed', verified: [] };
        return this.verifyAll(tokens, () => provider, requirement.audiences ?? provider.audiences, req);
      }
      case 'allow_missing':
      case 'allow_missing_or_failed': {
        const all = [...this.providers.values()];
        const tokens = all.flatMap((p) => extractTokens(p, req));
        if (tokens.length === 0) return { status: 'Ok', verified: [] };
        // Without a named provider, the token's issuer picks the provider.
        const outcome = await this.verifyAll(tokens, (iss) => all.find((p) => (p.issuer ?? '') === (iss ?? '')), undefined, req);
        return requirement.kind === 'allow_missing_or_failed' ? { status: 'Ok', verified: outcome.verified } : outcome;
      }
      case 'any': {
        // As Envoy: allow_missing(_or_failed) inside requires_any are flags applied to the result.
        const allowMissing = requirement.requirements.some((r) => r.kind === 'allow_missing');
        const allowFailed = requirement.requirements.some((r) => r.kind === 'allow_missing_or_failed');
        const children: JwtRequirement[] = requirement.requirements.filter((r) => r.kind !== 'allow_missing' && r.kind !== 'allow_missing_or_failed');
        if (children.length === 0) children.push({ kind: allowFailed ? 'allow_missing_or_failed' : 'allow_missing' });
        let final: JwtStatus = 'JwtMissed';
        for (const r of children) {
          const o = await this.check(r, req);
          if (o.status === 'Ok') return o;
          // Prefer real failures over a wrong issuer, and a wrong issuer over a missing token.
          if ((o.status !== 'JwtMissed' && o.status !== 'JwtUnknownIssuer') || final === 'JwtMissed') final = o.status;
        }
        if (allowFailed || (allowMissing && final === 'JwtMissed')) final = 'Ok';
        return { status: final, verified: [] };
      }
      case 'all': {
        const verified: VerifiedToken[] = [];
        for (const r of requirement.requirements) {
          const o = await this.check(r, req);
          if (o.status !== 'Ok') return o;
          verified.push(...o.verified);
        }
        return { status: 'Ok', verified };
      }
    }
  }

  private async verifyAll(
    tokens: { token: string; headerName?: string }[],
    providerFor: (iss: string | undefined) => JwtProvider | undefined,
    audiences: string[] | undefined,
    req: JwtRequest,
  ): Promise<Outcome> {
    let status: JwtStatus = 'JwtMissed';
    for (const t of tokens) {
      const jwt = parseJwt(t.token);
      if (typeof jwt === 'string') {
        status = jwt;
        continue;
      }
      const provider = providerFor(jwt.iss);
      status = provider ? await this.verifyOne(jwt, provider, audiences ?? provider.audiences, req.nowSeconds) : 'JwtUnknownIssuer';
      if (status === 'Ok') return { status, verified: [{ provider: provider!, token: t.token, headerName: t.headerName, payloadB64: jwt.payloadB64, payload: jwt.payload }] };
    }
    return { status, verified: [] };
  }

  private async verifyOne(jwt: ParsedJwt, provider: JwtProvider, audiences: string[], now: number): Promise<JwtStatus> {
    if (provider.issuer && jwt.iss !== provider.issuer) return 'JwtUnknownIssuer';
    const skew = provider.clockSkewSeconds;
    if (jwt.nbf > now + skew) return 'JwtNotYetValid';
    if (jwt.exp > 0 && now > jwt.exp + skew) return 'JwtExpired';
    if (audiences.length) {
      const allowed = new Set(audiences.map(sanitizeAudience));
      if (!jwt.audiences.some((a) => allowed.has(sanitizeAudience(a)))) return 'JwtAudienceNotAllowed';
    }
    const jwks = await this.jwks.get(provider);
    if (typeof jwks === 'string') return jwks;
    let result = verifySignature(jwt, jwks);
    if (result === 'JwksKidAlgMismatch' && provider.jwks.kind === 'remote') {
      // A key rotated in after the set was cached: look again (at most every few seconds).
      const fresh = await this.jwks.refresh(provider);
      if (fresh !== undefined && typeof fresh !== 'string') result = verifySignature(jwt, fresh);
    }
    return result;
  }
}

/** Envoy answers 403 for a disallowed audience and 401 for every other failure. */
export function httpStatusFor(status: JwtStatus): number {
  return status === 'JwtAudienceNotAllowed' ? 403 : 401;
}

// ------------------------------------------------------------------------------------ JWKS

export type JwksFetcher = (provider: JwtProvider & { jwks: { kind: 'remote' } }) => Promise<string>;

/**
 * Key sets per provider: inline ones parsed once, remote ones fetched through their cluster and
 * kept for cache_duration. A token with an unknown kid triggers one early refetch, at most every
 * `minRefreshMs`, so a flood of forged kids cannot hammer the JWKS endpoint.
 */
export class JwksCache implements JwksSource {
  private readonly entries = new Map<string, { jwks: Jwks | JwtStatus; expiresAt: number; fetchedAt: number }>();
  private readonly inflight = new Map<string, Promise<Jwks | JwtStatus>>();

  constructor(
    private readonly fetcher: JwksFetcher,
    private readonly minRefreshMs = 5000,
  ) {}

  async get(provider: JwtProvider): Promise<Jwks | JwtStatus> {
    if (provider.jwks.kind === 'local') {
      const hit = this.entries.get(provider.name);
      if (hit) return hit.jwks;
      const jwks = parseJwks(provider.jwks.json);
      this.entries.set(provider.name, { jwks, expiresAt: Infinity, fetchedAt: Date.now() });
      return jwks;
    }
    const hit = this.entries.get(provider.name);
    if (hit && typeof hit.jwks !== 'string' && hit.expiresAt > Date.now()) return hit.jwks;
    return this.fetch(provider as JwtProvider & { jwks: { kind: 'remote' } });
  }

  async refresh(provider: JwtProvider): Promise<Jwks | JwtStatus | undefined> {
    if (provider.jwks.kind !== 'remote') return undefined;
    const hit = this.entries.get(provider.name);
    if (hit && Date.now() - hit.fetchedAt < this.minRefreshMs) return undefined;
    return this.fetch(provider as JwtProvider & { jwks: { kind: 'remote' } });
  }

  private fetch(provider: JwtProvider & { jwks: { kind: 'remote' } }): Promise<Jwks | JwtStatus> {
    const running = this.inflight.get(provider.name);
    if (running) return running;
    const p = (async (): Promise<Jwks | JwtStatus> => {
      let jwks: Jwks | JwtStatus;
      try {
        jwks = parseJwks(await this.fetcher(provider));
      } catch {
        jwks = 'JwksFetchFail';
      }
      const now = Date.now();
      // Failures are not cached: the next request tries again, as Envoy's on-demand fetch does.
      if (typeof jwks !== 'string') this.entries.set(provider.name, { jwks, expiresAt: now + provider.jwks.cacheDurationMs, fetchedAt: now });
      else this.entries.set(provider.name, { jwks, expiresAt: 0, fetchedAt: now });
      return jwks;
    })().finally(() => this.inflight.delete(provider.name));
    this.inflight.set(provider.name, p);
    return p;
  }
}
