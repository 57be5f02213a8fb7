import type { Db, MongoClient } from 'mongodb';
import type { IdentityConfig } from '../config.js';
import type { UserRepository, Clock } from '../domain/ports.js';
import type { Sessions } from '../domain/sessions.js';
import { OAuthAuthorizations } from '../domain/oauth-authorization.js';
import { builtInApplications, OAuthApplications, type OAuthApplication } from '../domain/oauth-clients.js';
import { DeviceAuthorizations } from '../domain/oauth-device.js';
import type { EventWriter } from '../events/event-writer.js';
import { MongoRefreshTokenRepository } from '../storage/refresh-tokens-repository.js';
import {
  MongoAuthorizationCodeRepository,
  MongoConsentRepository,
  MongoDeviceAuthorizationRepository,
  MongoUserCodeAttemptRepository,
} from '../storage/oauth-repositories.js';

/** The registry: Flix's own apps, then the operator's FLIX_OAUTH_APPS (same id replaces). */
export function oauthApplications(cfg: Pick<IdentityConfig, 'FLIX_PUBLIC_URL' | 'FLIX_OAUTH_APPS'>): OAuthApplications {
  const configured: OAuthApplication[] = cfg.FLIX_OAUTH_APPS.map((a) => ({
    id: a.id,
    displayName: a.name,
    redirectUris: a.redirectUris,
    ...(a.secret !== undefined ? { secret: a.secret } : {}),
    firstParty: a.firstParty,
    scopes: a.scopes,
    grants: a.grants,
  }));
  const ids = new Set(configured.map((a) => a.id));
  return new OAuthApplications([...builtInApplications(cfg.FLIX_PUBLIC_URL).filter((a) => !ids.has(a.id)), ...configured]);
}

/** The authorization code and device grants over identity's MongoDB. */
export function oauthGrants(deps: {
  cfg: IdentityConfig;
  mongo: { client: MongoClient; db: Db };
  writeEvents: EventWriter;
  users: UserRepository;
  sessions: Sessions;
  clock: Clock;
}) {
  const { cfg, mongo, users, sessions, clock } = deps;
  const apps = oauthApplications(cfg);
  const tokens = { issue: sessions.issue.bind(sessions) };
  const authorizations = new OAuthAuthorizations({
    apps,
    codes: new MongoAuthorizationCodeRepository(mongo.db),
    consents: new MongoConsentRepository(mongo.db),
    refreshTokens: new MongoRefreshTokenRepository(mongo.client, mongo.db, deps.writeEvents),
    users,
    tokens,
    clock,
    policy: { issuer: cfg.FLIX_JWT_ISSUER, codeTtlSeconds: cfg.FLIX_OAUTH_CODE_TTL_SECONDS },
  });
  const devices = new DeviceAuthorizations({
    apps,
    devices: new MongoDeviceAuthorizationRepository(mongo.db),
    attempts: new MongoUserCodeAttemptRepository(mongo.db),
    users,
    tokens,
    clock,
    policy: {
      verificationUri: `${cfg.FLIX_PUBLIC_URL.replace(/\/$/, '')}/activate`,
      codeTtlSeconds: cfg.FLIX_OAUTH_DEVICE_CODE_TTL_SECONDS,
      intervalSeconds: cfg.FLIX_OAUTH_DEVICE_POLL_INTERVAL_SECONDS,
      accountAttempts: cfg.FLIX_OAUTH_USER_CODE_ATTEMPTS,
      addressAttempts: cfg.FLIX_OAUTH_USER_CODE_ADDRESS_ATTEMPTS,
      attemptWindowSeconds: cfg.FLIX_OAUTH_USER_CODE_WINDOW_SECONDS,
    },
  });
  return { apps, authorizations, devices };
}
