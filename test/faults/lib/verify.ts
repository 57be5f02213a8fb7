/**
 * After the load: what the system acknowledged must be there. Checked through the API as the
 * user would see it, and in MongoDB for what the API does not show (counts behind analytics).
 */
import { MongoClient } from 'mongodb';
import { Client, type Recorder } from './client.js';
import type { Account } from './journey.js';

export interface Lost {
  kind: 'user' | 'subscription' | 'rating' | 'position' | 'stream-slot';
  email: string;
  detail: string;
}

export interface CountCheck {
  what: string;
  truth: number;
  analytics: number;
}

export interface Verification {
  lost: Lost[];
  counts: CountCheck[];
  /** Acknowledged items checked, by kind. */
  checked: Record<Lost['kind'], number>;
}

const ok = (s: number) => s >= 200 && s < 300;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `read` until `done` holds or `ms` passed; the last value either way. */
async function settle<T>(read: () => Promise<T>, done: (v: T) => boolean, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (done(v) || Date.now() > end) return v;
    await sleep(1_000);
  }
}

export async function verify(opts: { gatewayUrl: string; mongoUrl: string; accounts: Account[]; recorder: Recorder; maxConcurrentStreams: number }): Promise<Verification> {
  const lost: Lost[] = [];
  const checked: Verification['checked'] = { user: 0, subscription: 0, rating: 0, position: 0, 'stream-slot': 0 };
  // The verifier's own calls are recorded apart from the load's (vu -1).
  const client = new Client(opts.gatewayUrl, opts.recorder, -1);
  const mongo = await MongoClient.connect(opts.mongoUrl, { serverSelectionTimeoutMS: 10_000 });
  try {
    const users = mongo.db('identity').collection<{ email: string }>('users');
    for (const a of opts.accounts.filter((x) => x.registered)) {
      checked.user++;
      if ((await users.countDocuments({ email: a.email })) !== 1) lost.push({ kind: 'user', email: a.email, detail: 'register answered 2xx; no user with this e-mail in identity.users' });
    }

    for (const a of opts.accounts.filter((x) => x.paidSession && x.accessToken)) {
      checked.subscription++;
      const sub = await settle(
        () => client.call<{ status?: string }>('verify-subscription', 'GET', '/v1/subscription', { token: a.accessToken }),
        (r) => r.body.status === 'SUBSCRIPTION_STATUS_ACTIVE',
        30_000,
      );
      if (sub.body.status !== 'SUBSCRIPTION_STATUS_ACTIVE') lost.push({ kind: 'subscription', email: a.email, detail: `paid checkout ${a.paidSession}; /v1/subscription answers ${sub.status} ${JSON.stringify(sub.body).slice(0, 200)}` });
    }

    for (const a of opts.accounts.filter((x) => x.ratings.size > 0)) {
      for (const [movieId, stars] of a.ratings) {
        checked.rating++;
        const r = await client.call<{ stars?: number }>('verify-rating', 'GET', `/v1/movies/${movieId}/rating?profileId=${a.profileId}`, { token: a.accessToken });
        if (!ok(r.status) || r.body.stars !== stars) lost.push({ kind: 'rating', email: a.email, detail: `PUT ${movieId} stars=${stars} answered 2xx; now ${r.status} ${JSON.stringify(r.body).slice(0, 200)}` });
      }
    }

    // Every play the client knows of is stopped (a player closing), then the position is checked.
    for (const a of opts.accounts) {
      for (const s of a.sessions) {
        if (s.stoppedAt === undefined) {
          const stop = await client.call('verify-stop', 'POST', `/v1/playback/sessions/${s.id}:stop`, { token: a.accessToken, body: { positionSeconds: s.ackedPosition } });
          if (ok(stop.status)) s.stoppedAt = s.ackedPosition;
        }
        if (s.ackedPosition === 0 && s.stoppedAt === undefined) continue;
        checked.position++;
        const floor = Math.max(s.ackedPosition, s.stoppedAt ?? 0);
        const r = await settle(
          () => client.call<{ positionSeconds?: number }>('verify-position', 'GET', `/v1/watch-history/${s.movieId}?profileId=${a.profileId}`, { token: a.accessToken }),
          (x) => ok(x.status) && (x.body.positionSeconds ?? 0) >= floor,
          30_000,
        );
        if (!ok(r.status) || (r.body.positionSeconds ?? 0) < floor) lost.push({ kind: 'position', email: a.email, detail: `session ${s.id} (${s.movieId}): acknowledged position ${floor}s; watch history says ${r.status} ${JSON.stringify(r.body).slice(0, 200)}` });
      }
    }

    // No slot leaked: with every known session stopped, the plan's full number of streams starts.
    for (const a of opts.accounts.filter((x) => x.activeSeen && x.profileId)) {
      checked['stream-slot']++;
      const movieId = a.sessions[0]?.movieId ?? [...a.ratings.keys()][0];
      const started: string[] = [];
      for (let i = 0; i < opts.maxConcurrentStreams; i++) {
        const r = await client.call<{ sessionId?: string }>('verify-slot', 'POST', '/v1/playback/sessions', { token: a.accessToken, body: { movieId, profileId: a.profileId, deviceId: `verify-${i}` } });
        if (ok(r.status) && r.body.sessionId) started.push(r.body.sessionId);
        else lost.push({ kind: 'stream-slot', email: a.email, detail: `stream ${i + 1} of ${opts.maxConcurrentStreams} refused with every known session stopped: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}` });
      }
      for (const id of started) await client.call('verify-stop', 'POST', `/v1/playback/sessions/${id}:stop`, { token: a.accessToken, body: { positionSeconds: 0 } });
    }

    // Exactly once in effect: analytics' rollups equal the truth in the owning services' stores.
    const truth = async () => ({
      // The first admin is registered too (identity's ensureAdmin goes through register).
      registrations: await users.countDocuments({}),
      plays: await mongo.db('playback').collection('sessions').countDocuments({}),
      paymentsSucceeded: await mongo.db('billing').collection('payments').countDocuments({ status: 'succeeded' }),
    });
    const rollups = async () => {
      const days = await mongo.db('analytics').collection<{ registrations?: number; plays?: number; paymentsSucceeded?: number }>('daily').find({}).toArray();
      const sum = (k: 'registrations' | 'plays' | 'paymentsSucceeded') => days.reduce((n, d) => n + (d[k] ?? 0), 0);
      return { registrations: sum('registrations'), plays: sum('plays'), paymentsSucceeded: sum('paymentsSucceeded') };
    };
    const t = await truth();
    const seen = await settle(rollups, (r) => r.registrations === t.registrations && r.plays === t.plays && r.paymentsSucceeded === t.paymentsSucceeded, 60_000);
    const counts = (['registrations', 'plays', 'paymentsSucceeded'] as const).map((k) => ({ what: k, truth: t[k], analytics: seen[k] }));
    return { lost, counts, checked };
  } finally {
    client.close();
    await mongo.close();
  }
}
