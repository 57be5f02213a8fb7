import {
  calculateJwkThumbprint,
  errors as joseErrors,
  exportJWK,
  generateKeyPair,
  importJWK,
  SignJWT,
  type JWK,
  type JWTVerifyGetKey,
  type CryptoKey as JoseKey,
} from 'jose';
import type { Clock, SigningKeyRepository, StoredSigningKey, TokenSigner } from '../domain/ports.js';

interface LoadedKey {
  kid: string;
  createdAt: Date;
  activatesAt: Date;
  publicJwk: JWK;
  privateKey: JoseKey | Uint8Array;
  publicKey: JoseKey | Uint8Array;
}

export interface KeyRingOptions {
  rotationDays: number;
  accessTokenTtlSeconds: number;
  /**
   * How long a new key is published in the JWKS before it signs anything. Verifiers cache the
   * JWKS (Envoy's jwt_authn for cache_duration, 300 s, plus the endpoint's max-age) and Envoy does
   * not refetch on an unknown kid, so signing with a key they have not seen would lock users out.
   */
  propagationSeconds: number;
}

/**
 * Ed25519 signing keys. A new key is published first and signs only after the propagation
 * delay; the key it replaces keeps verifying (and stays in the JWKS) until every token it signed
 * has expired. All instances share the keys through storage and reload them periodically and
 * whenever they meet an unknown kid.
 */
export class KeyRing implements TokenSigner {
  /** Newest first. */
  private keys: LoadedKey[] = [];
  private lastReload = 0;

  constructor(
    private readonly repo: SigningKeyRepository,
    private readonly clock: Clock,
    private readonly opts: KeyRingOptions,
  ) {}

  /**
   * Loads keys, creating the first one (or the next one when the newest is due for rotation).
   * Called at start and then periodically, so long-running instances rotate on schedule too.
   */
  async init(): Promise<void> {
    await this.reload();
    const newest = this.keys[0];
    const rotationMs = this.opts.rotationDays * 86_400_000;
    // The very first key signs at once: no verifier can have cached an older key set.
    if (!newest) await this.rotate(0);
    else if (this.now() - newest.createdAt.getTime() >= rotationMs) await this.rotate();
  }

  async reload(): Promise<void> {
    const stored = await this.repo.all();
    this.keys = (await Promise.all(stored.map(loadKey))).sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
    this.lastReload = Date.now();
  }

  /** Publishes a new key that starts signing after the propagation delay; returns it. */
  async rotate(propagationSeconds = this.opts.propagationSeconds): Promise<{ kid: string; activatesAt: Date }> {
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    const createdAt = new Date(this.now());
    const key: StoredSigningKey = {
      kid,
      privateJwk: { ...(await exportJWK(privateKey)), kid },
      publicJwk: { ...publicJwk, kid, alg: 'EdDSA', use: 'sig' },
      createdAt,
      activatesAt: new Date(createdAt.getTime() + propagationSeconds * 1000),
    };
    await this.repo.insert(key);
    await this.reload();
    const expired = this.keys.filter((k) => this.retiredLongEnough(k)).map((k) => k.kid);
    if (expired.length > 0) {
      await this.repo.delete(expired);
      await this.reload();
    }
    return { kid, activatesAt: key.activatesAt };
  }

  private now(): number {
    return this.clock.now().getTime();
  }

  /** The key that signs now: the newest one whose propagation delay has passed. */
  private signer(): LoadedKey {
    const now = this.now();
    const key = this.keys.find((k) => k.activatesAt.getTime() <= now) ?? this.keys[this.keys.length - 1];
    if (!key) throw new Error('KeyRing.init() was not called');
    return key;
  }

  /** When a newer key took over signing from `key` (undefined while `key` still signs). */
  private supersededAt(key: LoadedKey): number | undefined {
    const now = this.now();
    const successors = this.keys.filter((k) => k.createdAt > key.createdAt && k.activatesAt.getTime() <= now);
    return successors.length === 0 ? undefined : Math.min(...successors.map((k) => k.activatesAt.getTime()));
  }

  /** Superseded longer ago than a token lives (plus margin): it can verify nothing any more. */
  private retiredLongEnough(key: LoadedKey): boolean {
    const at = this.supersededAt(key);
    return at !== undefined && at <= this.now() - (this.opts.accessTokenTtlSeconds + 300) * 1000;
  }

  async sign(claims: Record<string, unknown>, subject: string, audience: string, issuer: string, ttlSeconds: number, jti: string): Promise<string> {
    const key = this.signer();
    const now = Math.floor(this.now() / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'at+jwt' })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject(subject)
      .setIssuedAt(now)
      .setExpirationTime(now + ttlSeconds)
      .setJti(jti)
      .sign(key.privateKey);
  }

  /** Public keys a verifier may need: upcoming, signing, and recently superseded ones. */
  jwks(): { keys: JWK[] } {
    return { keys: this.keys.filter((k) => !this.retiredLongEnough(k)).map((k) => k.publicJwk) };
  }

  /** A jose key resolver over this ring (identity verifies its own tokens without HTTP). */
  readonly getKey: JWTVerifyGetKey = async (header) => {
    let key = this.keys.find((k) => k.kid === header.kid);
    if (!key && Date.now() - this.lastReload > 1_000) {
      await this.reload();
      key = this.keys.find((k) => k.kid === header.kid);
    }
    if (!key) throw new joseErrors.JWKSNoMatchingKey();
    return key.publicKey;
  };

  get currentKid(): string {
    return this.signer().kid;
  }
}

async function loadKey(stored: StoredSigningKey): Promise<LoadedKey> {
  return {
    kid: stored.kid,
    createdAt: stored.createdAt,
    activatesAt: stored.activatesAt,
    publicJwk: stored.publicJwk as JWK,
    privateKey: await importJWK(stored.privateJwk as JWK, 'EdDSA'),
    publicKey: await importJWK(stored.publicJwk as JWK, 'EdDSA'),
  };
}
