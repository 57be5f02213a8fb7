import { randomUUID } from 'node:crypto';
import { requireUser, requireUserCaller, type Caller, type Principal } from '@flix/auth';
import { DomainError, Violations } from '@flix/errors';
import type { EndReason, EntitlementDecision, PlaybackSession, PlaybackSettings, PlaybackTokens, PlayerState, ViewingRecord } from './model.js';
import { entitlementEnded, noSuchSession, notEntitled, sessionEnded } from './playback-errors.js';
import type {
  Clock,
  EntitlementChecker,
  PlaybackStore,
  PlaybackTokenSigner,
  ProfileDirectory,
  ProgressJournal,
  SessionBroadcast,
  TitleDirectory,
  ViewingPage,
} from './ports.js';
import { completionPoint, isLive, maturityAllows, planStreamSlot, resumePosition, tokenExpiry, unplayableReason } from './rules.js';
import { finalNumbers, mergeSnapshot, qualityResolution, viewingFrom } from './session-progress.js';
import { ViewingHistory, type ViewingEntryRequest, type ViewingPageRequest } from './viewing-history.js';

export type { ViewingEntryRequest, ViewingPageRequest } from './viewing-history.js';

export interface PlaybackDeps {
  store: PlaybackStore;
  titles: TitleDirectory;
  entitlements: EntitlementChecker;
  profiles: ProfileDirectory;
  signer: PlaybackTokenSigner;
  journal: ProgressJournal;
  broadcast: SessionBroadcast;
  clock: Clock;
  settings: PlaybackSettings;
  warn: (fields: Record<string, unknown>, message: string) => void;
}

/** A session this instance holds in memory between coalesced writes. */
interface LiveSession {
  session: PlaybackSession;
  dirty: boolean;
  lastFlushAt: number;
  recheck: boolean;
}

export interface StartResult {
  session: PlaybackSession;
  tokens: PlaybackTokens;
  resumePositionSeconds: number;
  decision: EntitlementDecision;
}

export interface HeartbeatInput {
  sessionId: string;
  positionSeconds: number;
  state: PlayerState | null;
  bitrateKbps: number;
  rebufferMs: number;
}

const ID_MAX = 128;
/** A single heartbeat may report at most this much rebuffering (anything more is a bad client). */
const MAX_REBUFFER_MS = 10 * 60_000;

/**
 * The playback hot path. Starts are checked against catalog, identity and billing and claim a
 * stream slot atomically per account; heartbeats are journaled (durable) and kept in memory,
 * and written to the database at most once per session every `flushIntervalSeconds`.
 */
export class Playback {
  private readonly live = new Map<string, LiveSession>();
  private flushing: Promise<void> = Promise.resolve();
  private readonly history: ViewingHistory;

  constructor(private readonly deps: PlaybackDeps) {
    this.history = new ViewingHistory(deps);
  }

  private now(): Date {
    return this.deps.clock.now();
  }

  // ------------------------------------------------------------------ start

  async start(caller: Caller | undefined, req: { movieId: string; profileId: string; deviceId: string }): Promise<StartResult> {
    const { principal: user, accessToken } = requireUserCaller(caller);
    const v = new Violations();
    for (const field of ['movieId', 'profileId', 'deviceId'] as const) {
      const value = req[field];
      if (!value) v.add(field, 'is required');
      else if (value.length > ID_MAX) v.add(field, `must be at most ${ID_MAX} characters`);
    }
    v.throwIfAny();

    const [limit, title] = await Promise.all([this.deps.profiles.maxMaturity(accessToken, req.profileId), this.deps.titles.get(req.movieId)]);
    if (!title) throw new DomainError('not_found', 'TITLE_NOT_FOUND', `movieId: no title ${req.movieId}`, [{ field: 'movieId', description: 'no such title' }]);
    const now = this.now();
    const unplayable = unplayableReason(title, now);
    if (unplayable) throw new DomainError('failed_precondition', unplayable.reason, unplayable.message, [{ field: 'movieId', description: unplayable.message }]);
    if (!maturityAllows(limit, title.maturity))
      throw new DomainError('permission_denied', 'MATURITY_LIMIT', `profileId: this profile is limited to ${limit} titles and ${title.id} is rated ${title.maturity}`, [], { limit, rating: title.maturity });

    const decision = await this.deps.entitlements.check(accessToken, req.movieId, false);
    if (!decision.allowed) throw notEntitled(decision);

    const viewing = await this.deps.store.viewing(req.profileId, req.movieId);
    let resume = resumePosition(viewing, this.deps.settings);
    const expiresAt = tokenExpiry(now, title.durationSeconds, resume, this.deps.settings);
    const tokens = await this.deps.signer.sign(title.playbackId, expiresAt, qualityResolution(decision.maxQuality));

    const session: PlaybackSession = {
      id: randomUUID(),
      userId: user.subject,
      profileId: req.profileId,
      movieId: req.movieId,
      deviceId: req.deviceId,
      playbackId: title.playbackId,
      state: 'started',
      positionSeconds: resume,
      startPositionSeconds: resume,
      durationSeconds: title.durationSeconds,
      watchedSeconds: 0,
      rebufferMs: 0,
      bitrateKbps: 0,
      completed: false,
      startedAt: now,
      lastHeartbeatAt: now,
      endedAt: null,
      endReason: null,
      maxQuality: decision.maxQuality,
      maxStreams: Math.max(1, decision.maxStreams),
      entitlementValidUntil: decision.validUntil,
      entitlementCheckedAt: now,
      tokensExpireAt: expiresAt,
    };
    const ended = await this.deps.store.transact(async (tx) => {
      const existing = await tx.lockAccountSessions(user.subject);
      const plan = planStreamSlot(existing, req.deviceId, session.maxStreams, now, this.deps.settings);
      const closed: string[] = [];
      for (const [reason, list] of [['stopped', plan.replace], ['expired', plan.expire]] as const) {
        for (const stored of list) {
          // Another instance may hold newer progress in memory; the journal has it.
          const old = mergeSnapshot(stored, await this.deps.journal.last(stored.id));
          if (await tx.endSession(old.id, finalNumbers(old), reason, now)) {
            // A reloaded player resumes where the session it replaces had got to.
            if (old.profileId === session.profileId && old.movieId === session.movieId && old.lastHeartbeatAt > (viewing?.lastWatchedAt ?? new Date(0)) && !old.completed)
              session.positionSeconds = session.startPositionSeconds = resume = old.positionSeconds;
            closed.push(old.id);
            const endedOld: PlaybackSession = { ...old, state: 'ended', endedAt: now, endReason: reason };
            // Its profile keeps the place it reached (unless a newer session of that title took over the record).
            const previous = await this.deps.store.viewing(old.profileId, old.movieId);
            if (!previous || previous.lastSessionId === old.id) await tx.putViewing(viewingFrom(endedOld, previous, old.lastHeartbeatAt));
            await tx.emit([{ subject: 'playback.session.ended', session: endedOld, reason, at: now }]);
          }
        }
      }
      await tx.insertSession(session);
      await tx.setAccountSessions(user.subject, [...plan.keep.map((s) => s.id), session.id]);
      await tx.putViewing(viewingFrom(session, viewing, now));
      await tx.emit([{ subject: 'playback.session.started', session }]);
      return closed;
    });
    for (const id of ended) this.live.delete(id);
    if (ended.length > 0) this.deps.broadcast.sessionsEnded(ended);
    this.live.set(session.id, { session, dirty: false, lastFlushAt: now.getTime(), recheck: false });

    // The first play of a rental starts its 48-hour clock; playback.session.started is the backstop.
    if (decision.source === 'rental')
      await this.deps.entitlements.check(accessToken, req.movieId, true).catch((err: unknown) => this.deps.warn({ err, sessionId: session.id }, 'starting the rental clock failed; the session event will start it'));
    return { session, tokens, resumePositionSeconds: resume, decision };
  }

  // ------------------------------------------------------------------ heartbeats

  async heartbeat(caller: Caller | undefined, req: HeartbeatInput): Promise<{ session: PlaybackSession; refreshTokens: boolean }> {
    const { principal: user, accessToken } = requireUserCaller(caller);
    const v = new Violations();
    if (!req.sessionId) v.add('sessionId', 'is required');
    if (!Number.isFinite(req.positionSeconds) || req.positionSeconds < 0) v.add('positionSeconds', 'must be a number of seconds ≥ 0');
    if (!req.state) v.add('state', 'must be PLAYER_STATE_PLAYING, PLAYER_STATE_PAUSED or PLAYER_STATE_BUFFERING');
    if (!Number.isInteger(req.bitrateKbps) || req.bitrateKbps < 0) v.add('bitrateKbps', 'must be ≥ 0');
    if (!Number.isInteger(req.rebufferMs) || req.rebufferMs < 0 || req.rebufferMs > MAX_REBUFFER_MS) v.add('rebufferMs', `must be between 0 and ${MAX_REBUFFER_MS}`);
    v.throwIfAny();

    const wasCached = this.live.has(req.sessionId);
    const entry = await this.liveSession(req.sessionId, user.subject);
    const s = entry.session;
    const now = this.now();
    // Silent here for longer than a heartbeat gap: its heartbeats may have gone to another
    // instance, whose last one is in the journal (so watch time is not counted twice). A session
    // loaded just now has read the journal already.
    if (wasCached && now.getTime() - s.lastHeartbeatAt.getTime() > this.deps.settings.heartbeatIntervalSeconds * 1500)
      Object.assign(s, mergeSnapshot(s, await this.deps.journal.last(s.id)));
    if (s.durationSeconds > 0 && req.positionSeconds > s.durationSeconds + 60)
      throw new DomainError('invalid_argument', 'INVALID_ARGUMENT', `positionSeconds: is beyond the end of the title (${Math.round(s.durationSeconds)} s)`, [{ field: 'positionSeconds', description: 'beyond the end of the title' }]);
    if (!isLive(s, now, this.deps.settings)) {
      await this.end(entry, 'expired', null);
      throw sessionEnded(entry.session);
    }
    await this.ensureEntitled(entry, accessToken, now);

    const elapsed = Math.max(0, now.getTime() - s.lastHeartbeatAt.getTime());
    // Watch time counts only while playing, and never more than two heartbeat gaps at once.
    if (req.state === 'playing' && s.state === 'playing') s.watchedSeconds += Math.min(elapsed, this.deps.settings.heartbeatIntervalSeconds * 2000) / 1000;
    s.state = req.state === 'paused' ? 'paused' : 'playing';
    s.positionSeconds = req.positionSeconds;
    s.bitrateKbps = req.bitrateKbps;
    s.rebufferMs += req.rebufferMs;
    s.lastHeartbeatAt = now;
    // Durable before acknowledged: this is what survives the loss of this instance.
    await this.deps.journal.record({ sessionId: s.id, positionSeconds: s.positionSeconds, watchedSeconds: s.watchedSeconds, rebufferMs: s.rebufferMs, at: now });
    entry.dirty = true;

    if (!s.completed && s.durationSeconds > 0 && s.positionSeconds >= completionPoint(s.durationSeconds, this.deps.settings)) await this.complete(entry, now);
    const refreshTokens = s.tokensExpireAt.getTime() - now.getTime() < this.deps.settings.tokenMarginSeconds * 500;
    return { session: s, refreshTokens };
  }

  /** New tokens for a live session, after billing confirms the account may still watch. */
  async refreshTokens(caller: Caller | undefined, sessionId: string): Promise<PlaybackTokens> {
    const { principal: user, accessToken } = requireUserCaller(caller);
    if (!sessionId) throw new DomainError('invalid_argument', 'INVALID_ARGUMENT', 'sessionId: is required', [{ field: 'sessionId', description: 'is required' }]);
    const entry = await this.liveSession(sessionId, user.subject);
    const now = this.now();
    if (!isLive(entry.session, now, this.deps.settings)) {
      await this.end(entry, 'expired', null);
      throw sessionEnded(entry.session);
    }
    entry.recheck = true;
    // Billing's answer (when it gave one) has updated the session's quality ceiling.
    await this.ensureEntitled(entry, accessToken, now);
    const s = entry.session;
    const expiresAt = tokenExpiry(now, s.durationSeconds, s.positionSeconds, this.deps.settings);
    const tokens = await this.deps.signer.sign(s.playbackId, expiresAt, qualityResolution(s.maxQuality));
    s.tokensExpireAt = expiresAt;
    entry.dirty = true;
    return tokens;
  }

  async stop(principal: Principal | undefined, req: { sessionId: string; positionSeconds: number }): Promise<PlaybackSession> {
    const user = requireUser(principal);
    if (!req.sessionId) throw new DomainError('invalid_argument', 'INVALID_ARGUMENT', 'sessionId: is required', [{ field: 'sessionId', description: 'is required' }]);
    if (!Number.isFinite(req.positionSeconds) || req.positionSeconds < 0)
      throw new DomainError('invalid_argument', 'INVALID_ARGUMENT', 'positionSeconds: must be a number of seconds ≥ 0', [{ field: 'positionSeconds', description: 'must be ≥ 0' }]);
    const entry = await this.liveSession(req.sessionId, user.subject, { allowEnded: true });
    if (entry.session.state === 'ended') return entry.session;
    await this.end(entry, 'stopped', req.positionSeconds > 0 ? req.positionSeconds : null);
    return entry.session;
  }

  async get(principal: Principal | undefined, sessionId: string): Promise<PlaybackSession> {
    const user = requireUser(principal);
    const cached = this.live.get(sessionId);
    if (cached && cached.session.userId === user.subject) return cached.session;
    const s = sessionId ? await this.deps.store.session(sessionId) : null;
    if (!s || s.userId !== user.subject) throw noSuchSession(sessionId);
    return s;
  }

  // ------------------------------------------------------------------ history (viewing-history.ts)

  continueWatching(caller: Caller | undefined, req: ViewingPageRequest): Promise<ViewingPage> {
    return this.history.continueWatching(caller, req);
  }

  watchHistory(caller: Caller | undefined, req: ViewingPageRequest): Promise<ViewingPage> {
    return this.history.watchHistory(caller, req);
  }

  viewingEntry(caller: Caller | undefined, req: ViewingEntryRequest): Promise<ViewingRecord> {
    return this.history.viewingEntry(caller, req);
  }

  removeFromHistory(caller: Caller | undefined, req: ViewingEntryRequest): Promise<void> {
    return this.history.removeFromHistory(caller, req);
  }

  // ------------------------------------------------------------------ background work

  /** Writes every dirty session whose last write is older than the flush interval. */
  flushDue(force = false): Promise<void> {
    this.flushing = this.flushing.then(() => this.flushOnce(force)).catch((err: unknown) => this.deps.warn({ err }, 'progress flush failed; retrying on the next tick'));
    return this.flushing;
  }

  private async flushOnce(force: boolean): Promise<void> {
    const nowMs = this.now().getTime();
    const due = [...this.live.values()].filter((e) => e.dirty && (force || nowMs - e.lastFlushAt >= this.deps.settings.flushIntervalSeconds * 1000));
    if (due.length === 0) return;
    for (const e of due) e.dirty = false;
    try {
      // Copies: heartbeats may change the sessions while the write is under way.
      const endedElsewhere = new Set(await this.deps.store.flush(due.map((e) => ({ ...e.session }))));
      for (const e of due) {
        e.lastFlushAt = nowMs;
        if (endedElsewhere.has(e.session.id)) this.live.delete(e.session.id);
      }
    } catch (err) {
      for (const e of due) e.dirty = true;
      throw err;
    }
  }

  /**
   * Ends sessions whose heartbeats stopped (a closed tab, a lost network, a crashed instance),
   * with the last journaled position, so their slots free up and no progress is lost.
   */
  async expireStale(): Promise<number> {
    const before = new Date(this.now().getTime() - this.deps.settings.staleAfterSeconds * 1000);
    const stale = await this.deps.store.staleSessions(before, 200);
    let ended = 0;
    for (const s of stale) {
      const cached = this.live.get(s.id);
      // This instance heard from it more recently than the database knows: not stale.
      if (cached && cached.session.lastHeartbeatAt > before) continue;
      const entry = cached ?? (await this.hydrate(s));
      if (entry.session.lastHeartbeatAt > before) continue;
      if (await this.end(entry, 'expired', null)) ended++;
    }
    return ended;
  }

  /** Billing changed something for this user: their sessions ask again at the next heartbeat. */
  async entitlementChanged(userId: string): Promise<void> {
    await this.deps.store.invalidateEntitlements(userId);
    this.deps.broadcast.recheckEntitlements(userId);
    this.markRecheck(userId);
  }

  /** Another instance's broadcast: re-ask billing for this user's cached sessions. */
  markRecheck(userId: string): void {
    for (const entry of this.live.values()) if (entry.session.userId === userId) entry.recheck = true;
  }

  /** Another instance ended these sessions: drop them from the cache. */
  forget(sessionIds: string[]): void {
    for (const id of sessionIds) this.live.delete(id);
  }

  /** Shutdown: everything in memory reaches the database. */
  async drain(): Promise<void> {
    await this.flushDue(true);
  }

  get liveCount(): number {
    return this.live.size;
  }

  // ------------------------------------------------------------------ internals

  private async liveSession(sessionId: string, userId: string, opts: { allowEnded?: boolean } = {}): Promise<LiveSession> {
    let entry = this.live.get(sessionId);
    if (!entry) {
      const stored = await this.deps.store.session(sessionId);
      if (!stored || stored.userId !== userId) throw noSuchSession(sessionId);
      if (stored.state === 'ended') {
        if (opts.allowEnded) return { session: stored, dirty: false, lastFlushAt: 0, recheck: false };
        throw sessionEnded(stored);
      }
      entry = await this.hydrate(stored);
      this.live.set(sessionId, entry);
    }
    if (entry.session.userId !== userId) throw noSuchSession(sessionId);
    if (entry.session.state === 'ended' && !opts.allowEnded) throw sessionEnded(entry.session);
    return entry;
  }

  /** A session this instance has not seen yet (or after a crash elsewhere): the journal may be ahead of the database. */
  private async hydrate(stored: PlaybackSession): Promise<LiveSession> {
    const s = mergeSnapshot(stored, await this.deps.journal.last(stored.id));
    // What the database holds counts as just written: the next write waits a full flush interval.
    return { session: s, dirty: s.lastHeartbeatAt > stored.lastHeartbeatAt, lastFlushAt: this.now().getTime(), recheck: false };
  }

  /** Asks billing again when its last answer ran out, was invalidated, or is old. */
  private async ensureEntitled(entry: LiveSession, accessToken: string, now: Date): Promise<void> {
    const s = entry.session;
    const expired = s.entitlementValidUntil !== null && now >= s.entitlementValidUntil;
    const old = now.getTime() - s.entitlementCheckedAt.getTime() >= this.deps.settings.entitlementRecheckSeconds * 1000;
    if (!entry.recheck && !expired && !old) return;
    let decision: EntitlementDecision;
    try {
      decision = await this.deps.entitlements.check(accessToken, s.movieId, false);
    } catch (err) {
      // Billing unreachable: a session already playing keeps playing; the next heartbeat asks again.
      this.deps.warn({ err, sessionId: s.id }, 'entitlement re-check failed; keeping the session');
      return;
    }
    entry.recheck = false;
    if (!decision.allowed) {
      await this.end(entry, 'revoked', null);
      throw entitlementEnded(decision);
    }
    s.entitlementValidUntil = decision.validUntil;
    s.entitlementCheckedAt = now;
    s.maxQuality = decision.maxQuality;
    entry.dirty = true;
  }

  private async complete(entry: LiveSession, now: Date): Promise<void> {
    const s = entry.session;
    await this.deps.store.transact(async (tx) => {
      if (!(await tx.markCompleted(s.id))) return;
      s.completed = true;
      const record = viewingFrom(s, await this.deps.store.viewing(s.profileId, s.movieId), now, true);
      await tx.putViewing(record);
      await tx.emit([{ subject: 'playback.title.completed', session: s, at: now }]);
    });
    s.completed = true;
  }

  /** Ends a session once (whichever instance gets there first), with its final numbers. */
  private async end(entry: LiveSession, reason: EndReason, finalPosition: number | null): Promise<boolean> {
    const s = entry.session;
    const now = this.now();
    Object.assign(s, mergeSnapshot(s, await this.deps.journal.last(s.id)));
    if (finalPosition !== null) s.positionSeconds = s.durationSeconds > 0 ? Math.min(finalPosition, s.durationSeconds) : finalPosition;
    const completesNow = !s.completed && s.durationSeconds > 0 && s.positionSeconds >= completionPoint(s.durationSeconds, this.deps.settings);
    const endedHere = await this.deps.store.transact(async (tx) => {
      const final = { positionSeconds: s.positionSeconds, watchedSeconds: s.watchedSeconds, rebufferMs: s.rebufferMs, completed: s.completed || completesNow };
      if (!(await tx.endSession(s.id, final, reason, now))) return false;
      const ended: PlaybackSession = { ...s, ...final, state: 'ended', endedAt: now, endReason: reason };
      const previous = await this.deps.store.viewing(s.profileId, s.movieId);
      await tx.putViewing(viewingFrom(ended, previous, now, completesNow));
      if (completesNow) await tx.emit([{ subject: 'playback.title.completed', session: ended, at: now }]);
      await tx.emit([{ subject: 'playback.session.ended', session: ended, reason, at: now }]);
      return true;
    });
    s.state = 'ended';
    s.endedAt ??= now;
    s.endReason ??= reason;
    if (completesNow) s.completed = true;
    this.live.delete(s.id);
    if (endedHere) this.deps.broadcast.sessionsEnded([s.id]);
    return endedHere;
  }
}

