/** Persistence the OAuth grants need; implemented over MongoDB in storage/oauth-repositories.ts. */

/** A single-use authorization code (RFC 6749 §4.1.2), stored by the SHA-256 of the code. */
export interface AuthorizationCodeRecord {
  hash: string;
  clientId: string;
  redirectUri: string;
  userId: string;
  scopes: string[];
  /** BASE64URL(SHA-256(code_verifier)) as the client sent it (RFC 7636 S256). */
  codeChallenge: string;
  createdAt: Date;
  expiresAt: Date;
  /** When it was exchanged (null until then). */
  usedAt: Date | null;
  /** The refresh-token family its exchange started: revoked if the code is replayed. */
  familyId: string | null;
}

export type RedeemResult = { kind: 'ok' } | { kind: 'already_used'; record: AuthorizationCodeRecord };

export interface AuthorizationCodeRepository {
  insert(record: AuthorizationCodeRecord): Promise<void>;
  findByHash(hash: string): Promise<AuthorizationCodeRecord | null>;
  /** Marks an unused code used by `familyId`, atomically: of two exchanges, one wins. */
  redeem(hash: string, now: Date, familyId: string): Promise<RedeemResult>;
}

export interface ConsentRepository {
  /** The scopes the user granted the client so far (empty: never asked). */
  grantedScopes(userId: string, clientId: string): Promise<string[]>;
  /** Adds `scopes` to what the user granted the client. */
  grant(userId: string, clientId: string, scopes: string[], now: Date): Promise<void>;
}

export type DeviceAuthorizationStatus = 'pending' | 'approved' | 'denied' | 'redeemed';

/** A device authorization request (RFC 8628 §3.2), stored by the SHA-256 of the device code. */
export interface DeviceAuthorizationRecord {
  deviceCodeHash: string;
  /** Eight characters of the user-code alphabet, without the dash. */
  userCode: string;
  clientId: string;
  scopes: string[];
  createdAt: Date;
  expiresAt: Date;
  /** Seconds the device must wait between polls; slow_down raises it for good. */
  interval: number;
  lastPolledAt: Date | null;
  status: DeviceAuthorizationStatus;
  /** Who approved or denied it. */
  userId: string | null;
  decidedAt: Date | null;
}

export interface DeviceAuthorizationRepository {
  /** Throws DomainError already_exists (USER_CODE_TAKEN) when the user code is live elsewhere. */
  insert(record: DeviceAuthorizationRecord): Promise<void>;
  findByUserCode(userCode: string): Promise<DeviceAuthorizationRecord | null>;
  /** Records a poll at `now` and returns the record as it was before it (null: unknown code). */
  poll(deviceCodeHash: string, now: Date): Promise<DeviceAuthorizationRecord | null>;
  /** Raises the polling interval by `seconds` (RFC 8628 §3.5 slow_down). */
  slowDown(deviceCodeHash: string, seconds: number): Promise<void>;
  /** pending → approved/denied by `userId`; false when it was no longer pending. */
  decide(deviceCodeHash: string, decision: 'approved' | 'denied', userId: string, now: Date): Promise<boolean>;
  /** approved → redeemed; false when another poll redeemed it first. */
  redeem(deviceCodeHash: string): Promise<boolean>;
}

/** Fixed-window counters of wrong user codes, per account and per client address. */
export interface UserCodeAttemptRepository {
  /** The counters under `keys` that are still in their window. */
  read(keys: string[], now: Date): Promise<{ key: string; failures: number; windowEnd: Date }[]>;
  /** Counts a failure under each key (a new window starts when the old one ended). */
  recordFailure(keys: { key: string; userId?: string }[], now: Date, windowSeconds: number): Promise<void>;
}
