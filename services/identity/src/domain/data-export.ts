import { DomainError, notFound } from '@flix/errors';
import { requireUserCaller, type Caller } from '@flix/auth';
import type { SessionSummary, UserRecord } from './model.js';
import type { Clock, UserRepository } from './ports.js';

/** Another service's share of an export (a PersonalDataService over gRPC, privacy/). */
export interface PersonalDataSource {
  readonly service: string;
  /** Asks on the person's behalf (their own access token); throws when the service cannot answer. */
  export(caller: Caller, userId: string, profileIds: string[]): Promise<Record<string, unknown>>;
}

export interface ExportPart {
  service: string;
  data: Record<string, unknown>;
}

export interface DataExportArchive {
  userId: string;
  createdAt: Date;
  /** identity first, then the other services in configuration order. */
  parts: ExportPart[];
}

/**
 * ExportMyData: identity's own records and every other service's, in one archive. All or
 * nothing: when a service does not answer, the export fails as UNAVAILABLE naming it, so a
 * partial archive is never presented as complete.
 */
export class DataExport {
  constructor(
    private readonly deps: {
      users: UserRepository;
      /** The account's sign-ins (refresh-token families). */
      sessions: (userId: string, now: Date) => Promise<SessionSummary[]>;
      /** The apps the person allowed (OAuth consents: client, scopes, when). */
      appConsents?: (userId: string) => Promise<Record<string, unknown>[]>;
      sources: PersonalDataSource[];
      clock: Clock;
    },
  ) {}

  async exportMine(caller: Caller | undefined): Promise<DataExportArchive> {
    const c = requireUserCaller(caller);
    const userId = c.principal.subject;
    const user = await this.deps.users.findById(userId);
    if (!user) throw notFound('user', userId);
    const now = this.deps.clock.now();
    const profileIds = user.profiles.map((p) => p.id);
    const [sessions, consents, ...answers] = await Promise.allSettled([
      this.deps.sessions(userId, now),
      this.deps.appConsents?.(userId) ?? Promise.resolve([]),
      ...this.deps.sources.map((s) => s.export(c, userId, profileIds)),
    ]);
    const missing = this.deps.sources.filter((_, i) => answers[i]!.status === 'rejected').map((s) => s.service);
    if (sessions.status === 'rejected') throw sessions.reason;
    if (consents.status === 'rejected') throw consents.reason;
    if (missing.length > 0) {
      throw new DomainError(
        'unavailable',
        'EXPORT_INCOMPLETE',
        `your data export cannot be assembled right now: ${missing.join(', ')} did not answer; nothing partial is returned, try again in a minute`,
        [],
        { services: missing.join(',') },
        30,
      );
    }
    return {
      userId,
      createdAt: now,
      parts: [
        { service: 'identity', data: identityPart(user, sessions.value, consents.value) },
        ...this.deps.sources.map((s, i) => ({ service: s.service, data: (answers[i] as PromiseFulfilledResult<Record<string, unknown>>).value })),
      ],
    };
  }
}

/**
 * Everything identity keeps about the account, minus secrets (the password hash, the hashes of
 * pending reset and verification links): credentials, not data about the person.
 */
function identityPart(user: UserRecord, sessions: SessionSummary[], appConsents: Record<string, unknown>[]): Record<string, unknown> {
  const { passwordHash: _secret, passwordReset, emailVerification, version: _version, ...account } = user;
  return {
    account: {
      ...account,
      profiles: undefined,
      ...(passwordReset ? { passwordReset: { expiresAt: passwordReset.expiresAt } } : {}),
      ...(emailVerification ? { emailVerification: { email: emailVerification.email, reason: emailVerification.reason, expiresAt: emailVerification.expiresAt } } : {}),
    },
    appConsents,
    profiles: user.profiles,
    signIns: sessions.map((s) => ({
      id: s.familyId,
      userAgent: s.userAgent,
      clientIp: s.clientIp,
      createdAt: s.createdAt,
      lastUsedAt: s.lastUsedAt,
      expiresAt: s.expiresAt,
      revokedAt: s.revokedAt,
      state: s.state,
    })),
  };
}
