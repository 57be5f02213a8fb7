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
import type { Clock, SigningKeyRepository, StoredSigningKey } from './ports.js';

interface LoadedKey {
  kid: string;
  createdAt: Date;
  publicJwk: JWK;
  privateKey: JoseKey | Uint8Array;
  publicKey: JoseKey | Uint8Array;
}

export interface KeyRingOptions {
  rotationDays: number;
  accessTokenTtlSeconds: number;
}

/**
 * Ed25519 signing keys. The newest key signs; older keys keep verifying (and stay in the JWKS)
 * until every token they signed has expired. All instances share the keys through storage and
 * reload them periodically and whenever they meet an unknown kid.
 */
export class KeyRing {
  private keys: LoadedKey[] = [];
  private lastReload = 0;

  constructor(
    private readonly repo: SigningKeyRepository,
    private readonly clock: Clock,
    private readonly opts: KeyRingOptions,
  ) {}

  /**
   * Loads keys, creating the first one (or a new one when the newest is due for rotation).
   * Called at start and then periodically, so long-running instances rotate on schedule too.
   */
  async init(): Promise<void> {
    await this.reload();
    const newest = this.keys[0];
    const rotationMs = this.opts.rotationDays * 86_400_000;
    if (!newest || this.clock.now().getTime() - newest.createdAt.getTime() >= rotationMs) await this.rotate();
  }

  async reload(): Promise<void> {
    const stored = await this.repo.all();
    this.keys = (await Promise.all(stored.map(loadKey))).sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
    this.lastReload = Date.now();
  }

  /** Starts signing with a fresh key; returns its kid. */
  async rotate(): Promise<string> {
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    const key: StoredSigningKey = {
      kid,
      privateJwk: { ...(await exportJWK(privateKey)), kid },
      publicJwk: { ...publicJwk, kid, alg: 'EdDSA', use: 'sig' },
      createdAt: this.clock.now(),
    };
    await this.repo.insert(key);
    await this.reload();
    // A key whose successor was created longer ago than a token lives can verify nothing any more.
    const cutoff = this.supersededCutoff();
    const expired = this.keys.filter((_, i) => i > 0 && this.keys[i - 1]!.createdAt.getTime() <= cutoff).map((k) => k.kid);
    if (expired.length > 0) {
      await this.repo.delete(expired);
      await this.reload();
    }
    return kid;
  }

  /** Keys superseded before this instant (ms) have outlived every token they signed. */
  private supersededCutoff(): number {
    return this.clock.now().getTime() - (this.opts.accessTokenTtlSeconds + 300) * 1000;
  }

  private current(): LoadedKey {
    const key = this.keys[0];
    if (!key) throw new Error('KeyRing.init() was not called');
    return key;
  }

  async sign(claims: Record<string, unknown>, subject: string, audience: string, issuer: string, ttlSeconds: number, jti: string): Promise<string> {
    const key = this.current();
    const now = Math.floor(this.clock.now().getTime() / 1000);
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

  /** Public keys a verifier may need: the signer and every key superseded within a token lifetime. */
  jwks(): { keys: JWK[] } {
    const cutoff = this.supersededCutoff();
    return {
      keys: this.keys
        .filter((_, i) => i === 0 || this.keys[i - 1]!.createdAt.getTime() > cutoff)
        .map((k) => k.publicJwk),
    };
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
    return this.current().kid;
  }
}

async function loadKey(stored: StoredSigningKey): Promise<LoadedKey> {
  return {
    kid: stored.kid,
    createdAt: stored.createdAt,
    publicJwk: stored.publicJwk as JWK,
    privateKey: await importJWK(stored.privateJwk as JWK, 'EdDSA'),
    publicKey: await importJWK(stored.publicJwk as JWK, 'EdDSA'),
  };
}
