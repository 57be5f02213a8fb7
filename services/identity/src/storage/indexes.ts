import type { IndexPlan } from '@flix/mongo';

export const IDENTITY_INDEXES: IndexPlan = {
  users: [
    { key: { email: 1 }, name: 'email_unique', unique: true },
    { key: { createdAt: -1, _id: -1 }, name: 'newest_first' },
    // Reset and verification links are looked up by their token's hash (domain/account-security.ts).
    { key: { 'passwordReset.tokenHash': 1 }, name: 'password_reset_token', unique: true, partialFilterExpression: { 'passwordReset.tokenHash': { $type: 'string' } } },
    { key: { 'emailVerification.tokenHash': 1 }, name: 'email_verification_token', unique: true, partialFilterExpression: { 'emailVerification.tokenHash': { $type: 'string' } } },
  ],
  refresh_tokens: [
    { key: { familyId: 1 }, name: 'family' },
    { key: { userId: 1 }, name: 'user' },
    // Expired refresh tokens are useless (and a replay of one is just "invalid"): let them go.
    { key: { expiresAt: 1 }, name: 'expiry_ttl', expireAfterSeconds: 0 },
  ],
  // Failed-sign-in counters, looked up by _id; gone once they can no longer delay anyone.
  login_throttle: [{ key: { expiresAt: 1 }, name: 'expiry_ttl', expireAfterSeconds: 0 }],
  signing_keys: [{ key: { createdAt: -1 }, name: 'newest_first' }],
  // OAuth (domain/oauth-*.ts). Codes stay a day past expiry so a replay is recognised and revokes.
  oauth_codes: [
    { key: { purgeAt: 1 }, name: 'purge_ttl', expireAfterSeconds: 0 },
    { key: { userId: 1 }, name: 'user' },
  ],
  oauth_consents: [{ key: { userId: 1 }, name: 'user' }],
  oauth_device_authorizations: [
    // A user code names one request while it is stored (a clash draws another code).
    { key: { userCode: 1 }, name: 'user_code_unique', unique: true },
    { key: { purgeAt: 1 }, name: 'purge_ttl', expireAfterSeconds: 0 },
    { key: { userId: 1 }, name: 'user' },
  ],
  oauth_user_code_attempts: [{ key: { windowEnd: 1 }, name: 'expiry_ttl', expireAfterSeconds: 0 }],
};
