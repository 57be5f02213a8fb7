import { createAccessTokenVerifier } from '@flix/auth';
import { runWhenMain } from '@flix/config';
import { IdentityServiceService } from '@flix/proto/flix/identity/v1/identity_service';
import { grpcService, runService } from '@flix/service';
import { readIdentityConfig } from './config.js';
import { AccountSecurity } from './domain/account-security.js';
import { Accounts } from './domain/accounts.js';
import { KeyRing } from './security/key-ring.js';
import { argon2Hasher } from './security/password-hasher.js';
import { PasswordWork } from './security/password-work.js';
import { systemClock, type Clock } from './domain/ports.js';
import { Sessions } from './domain/sessions.js';
import { identityOutboxWriter } from './events/event-writer.js';
import { accountHandlers } from './grpc/account-handlers.js';
import { identityHandlers } from './grpc/identity-handlers.js';
import { oauthConsentHandlers } from './grpc/oauth-handlers.js';
import { oauthGrants } from './oauth/wiring.js';
import { refuseDeletedAccounts } from './grpc/privacy-handlers.js';
import { identityPrivacy } from './privacy/wiring.js';
import { refreshCookiePolicy } from './grpc/refresh-cookie.js';
import { oauthRoutes } from './http/oauth-routes.js';
import { IDENTITY_INDEXES } from './storage/indexes.js';
import { MongoAccountSecurityStore } from './storage/account-security-store.js';
import { MongoLoginAttemptRepository } from './storage/login-attempts-repository.js';
import { MongoRefreshTokenRepository } from './storage/refresh-tokens-repository.js';
import { MongoSigningKeyRepository } from './storage/signing-keys-repository.js';
import { MongoUserRepository } from './storage/users-repository.js';

/** What tests may replace: the clock (throttle delays and token times without sleeping). */
export interface IdentityOverrides {
  clock?: Clock;
}

/** The composition root: the only place identity's pieces are wired together. */
export function startIdentity(env: Record<string, string | undefined> = process.env, overrides: IdentityOverrides = {}) {
  return runService({
    name: 'identity',
    config: readIdentityConfig(env),
    indexes: IDENTITY_INDEXES,
    async build({ cfg, logger, mongo, nats, outbox, idempotency, every, consumer, client }) {
      const writeEvents = identityOutboxWriter(outbox);
      const clock = overrides.clock ?? systemClock;
      const users = new MongoUserRepository(mongo.client, mongo.db, writeEvents);
      const keys = new KeyRing(new MongoSigningKeyRepository(mongo.db), clock, {
        rotationDays: cfg.FLIX_SIGNING_KEY_ROTATION_DAYS,
        accessTokenTtlSeconds: cfg.FLIX_ACCESS_TOKEN_TTL_SECONDS,
        propagationSeconds: cfg.FLIX_SIGNING_KEY_PROPAGATION_SECONDS,
      });
      await keys.init();
      const argon2 = argon2Hasher({ memoryCost: cfg.FLIX_ARGON2_MEMORY_KIB, timeCost: cfg.FLIX_ARGON2_TIME_COST, parallelism: 1 });
      const concurrency = cfg.FLIX_PASSWORD_HASH_CONCURRENCY;
      const passwordWork = new PasswordWork({
        concurrency,
        registerConcurrency: Math.min(concurrency, cfg.FLIX_REGISTER_HASH_CONCURRENCY ?? Math.max(1, Math.floor(concurrency / 2))),
        maxQueued: cfg.FLIX_PASSWORD_HASH_QUEUE,
        maxWaitMs: cfg.FLIX_PASSWORD_HASH_MAX_WAIT_MS,
      });
      const sessions = new Sessions({
        users,
        refreshTokens: new MongoRefreshTokenRepository(mongo.client, mongo.db, writeEvents),
        attempts: new MongoLoginAttemptRepository(mongo.client, mongo.db, writeEvents),
        hasher: passwordWork.hasher(argon2, 'login'),
        keys,
        clock,
        clients: parseClients(cfg.FLIX_OAUTH_CLIENTS),
        policy: {
          issuer: cfg.FLIX_JWT_ISSUER,
          audience: cfg.FLIX_JWT_AUDIENCE,
          accessTokenTtlSeconds: cfg.FLIX_ACCESS_TOKEN_TTL_SECONDS,
          refreshTokenTtlDays: cfg.FLIX_REFRESH_TOKEN_TTL_DAYS,
          refreshReuseGraceSeconds: cfg.FLIX_REFRESH_REUSE_GRACE_SECONDS,
          loginThrottle: {
            freeFailures: cfg.FLIX_LOGIN_FREE_FAILURES,
            baseDelaySeconds: cfg.FLIX_LOGIN_BASE_DELAY_SECONDS,
            maxDelaySeconds: cfg.FLIX_LOGIN_MAX_DELAY_SECONDS,
            ipFailureLimit: cfg.FLIX_LOGIN_IP_FAILURE_LIMIT,
            accountAlertFailures: cfg.FLIX_LOGIN_ACCOUNT_ALERT_FAILURES,
            windowSeconds: cfg.FLIX_LOGIN_THROTTLE_WINDOW_SECONDS,
          },
        },
        onAccountUnderAttack: (alert) =>
          logger.warn(
            { account: alert.account, failures: alert.failures, windowSeconds: alert.windowSeconds },
            'many failed sign-ins on one account within the window (not locked; each address is delayed on its own)',
          ),
      });
      const accounts = new Accounts({ users, hasher: passwordWork.hasher(argon2, 'register'), sessions, clock, emailVerificationTtlHours: cfg.FLIX_EMAIL_VERIFICATION_TTL_HOURS });
      const security = new AccountSecurity({
        users,
        store: new MongoAccountSecurityStore(mongo.client, mongo.db, writeEvents),
        refreshTokens: new MongoRefreshTokenRepository(mongo.client, mongo.db, writeEvents),
        sessions,
        // New passwords hash in the registration lane: a reset flood cannot starve sign-ins.
        hasher: passwordWork.hasher(argon2, 'register'),
        clock,
        policy: {
          passwordResetTtlMinutes: cfg.FLIX_PASSWORD_RESET_TTL_MINUTES,
          emailVerificationTtlHours: cfg.FLIX_EMAIL_VERIFICATION_TTL_HOURS,
          mailsPerHour: cfg.FLIX_ACCOUNT_MAILS_PER_HOUR,
          resetAnswerFloorMs: cfg.FLIX_PASSWORD_RESET_ANSWER_FLOOR_MS,
        },
      });

      if (cfg.FLIX_ADMIN_EMAIL && cfg.FLIX_ADMIN_PASSWORD) {
        const result = await accounts.ensureAdmin(cfg.FLIX_ADMIN_EMAIL, cfg.FLIX_ADMIN_PASSWORD);
        logger.info({ admin: cfg.FLIX_ADMIN_EMAIL, result }, 'first admin checked');
      }
      // Picks up keys other instances created, and rotates when the newest key is due.
      every('signing key refresh', 30_000, () => keys.init());

      const cookie = refreshCookiePolicy(cfg.FLIX_PUBLIC_URL, cfg.FLIX_REFRESH_TOKEN_TTL_DAYS);
      const privacy = await identityPrivacy({ cfg, mongo, nats, outbox, idempotency, logger, writeEvents, users, checkPassword: (user, password, meta) => sessions.checkPassword(user, password, meta, 'currentPassword'), clock, cookie, client });
      // Another instance's deletions reach this one's refusal of the deleted account's tokens.
      every('erased accounts refresh', 2_000, () => privacy.erased.refresh());
      // OAuth 2.1 authorization code + PKCE and the device grant, for applications acting for a person.
      const oauth = oauthGrants({ cfg, mongo, writeEvents, users, sessions, clock });
      const handlers = {
        ...identityHandlers({ accounts, sessions, keys, cookie }),
        ...accountHandlers({ security }),
        ...oauthConsentHandlers(oauth),
        ...privacy.handlers,
      };
      return {
        grpc: [
          grpcService(IdentityServiceService, refuseDeletedAccounts(handlers, privacy.erased), {
            name: 'flix.identity.v1.IdentityService',
            // Recovery and verification links are followed by people who are not signed in.
            publicMethods: ['register', 'login', 'refresh', 'requestPasswordReset', 'resetPassword', 'verifyEmail'],
          }),
        ],
        async start() {
          consumer(await privacy.startConsumer());
        },
        routes: oauthRoutes({ sessions, keys, issuer: cfg.FLIX_JWT_ISSUER, publicUrl: cfg.FLIX_PUBLIC_URL, ...oauth }),
        // Identity verifies tokens with its own key ring: no HTTP round trip to itself.
        verifier: createAccessTokenVerifier({ issuer: cfg.FLIX_JWT_ISSUER, audience: cfg.FLIX_JWT_AUDIENCE, keys: { getKey: keys.getKey } }),
      };
    },
  });
}

export type IdentityHandle = Awaited<ReturnType<typeof startIdentity>>;

function parseClients(spec: string) {
  return spec
    .split(',')
    .filter(Boolean)
    .map((entry) => {
      const [id, secret, scopes] = entry.split(':');
      return { id: id!, secret: secret!, scopes: (scopes ?? '').split(' ').filter(Boolean) };
    });
}

runWhenMain(import.meta.url, () => startIdentity());
