/**
 * The scripted journey load: virtual users, each in a loop signing up a new account, logging in,
 * rating two titles, subscribing through Checkout (paid on the Stripe emulator's hosted page, so
 * its signed webhooks flow through the gateway to billing), then playing a title with heartbeats
 * and stopping it. What the system acknowledged (a 2xx) is written down per account: the
 * verification later checks each acknowledged item is reflected in state.
 */
import { randomBytes } from 'node:crypto';
import { Client, GaveUp, type Recorder } from './client.js';

export interface PlaySession {
  id: string;
  movieId: string;
  deviceId: string;
  /** The highest position a heartbeat was acknowledged for (seconds). */
  ackedPosition: number;
  /** The position a stop was acknowledged for. */
  stoppedAt?: number;
}

export interface Account {
  vu: number;
  email: string;
  password: string;
  /** register answered 2xx. */
  registered: boolean;
  userId?: string;
  accessToken?: string;
  refreshToken?: string;
  profileId?: string;
  /** The emulator's Pay answered 2xx/3xx for this checkout session. */
  paidSession?: string;
  /** /v1/subscription was seen active. */
  activeSeen: boolean;
  /** movieId → stars, for ratings answered 2xx (each title rated once per account). */
  ratings: Map<string, number>;
  sessions: PlaySession[];
}

export interface Movie {
  id: string;
  runtimeMinutes: number;
}

export interface JourneyOptions {
  gatewayUrl: string;
  stripeUrl: string;
  movies: Movie[];
  virtualUsers: number;
  /** Heartbeats per play. */
  heartbeats: number;
  /** Pause between steps (think time), ms. */
  thinkMs: number;
  recorder: Recorder;
  /** Hears each password used and token issued, for the secrets check. */
  secret: (what: string, value: string) => void;
}

export interface Journey {
  accounts: Account[];
  /** Steps that ran out of retries, by op (they are not acknowledged, so not checked). */
  gaveUp: Map<string, number>;
  /** Stops the loop after the current step of each user; resolves when all have stopped. */
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ok = (status: number) => status >= 200 && status < 300;

export function startJourney(opts: JourneyOptions): Journey {
  const accounts: Account[] = [];
  const gaveUp = new Map<string, number>();
  let stopping = false;
  const run = randomBytes(3).toString('hex');
  let serial = 0;

  const user = async (vu: number) => {
    const client = new Client(opts.gatewayUrl, opts.recorder, vu);
    const think = async (): Promise<void> => void (await sleep(opts.thinkMs * (0.5 + Math.random())));
    while (!stopping) {
      const password = `pw ${randomBytes(12).toString('base64url')} passphrase`;
      opts.secret('a password the journey used', password);
      const account: Account = { vu, email: `fault-${run}-${vu}-${serial++}@example.com`, password, registered: false, activeSeen: false, ratings: new Map(), sessions: [] };
      accounts.push(account);
      try {
        await journeyOf(client, account, opts, think, () => stopping);
      } catch (err) {
        if (!(err instanceof GaveUp)) throw err;
        gaveUp.set(err.op, (gaveUp.get(err.op) ?? 0) + 1);
      }
      await think();
    }
    client.close();
  };
  const users = Promise.all(Array.from({ length: opts.virtualUsers }, (_, vu) => user(vu)));
  return {
    accounts,
    gaveUp,
    async stop() {
      stopping = true;
      await users;
    },
  };
}

function remember(secret: JourneyOptions['secret'], body: { accessToken?: string; refreshToken?: string }): void {
  if (body.accessToken) secret('an access token identity issued', body.accessToken);
  if (body.refreshToken) secret('a refresh token identity issued', body.refreshToken);
}

async function journeyOf(client: Client, a: Account, opts: JourneyOptions, think: () => Promise<void>, stopping: () => boolean): Promise<void> {
  type Tokens = { accessToken?: string; refreshToken?: string; user?: { id?: string } };
  const reg = await client.call<Tokens>('register', 'POST', '/v1/auth/register', { body: { email: a.email, password: a.password, displayName: `Fault ${a.vu}`, preferredLanguage: 'en' } });
  if (!ok(reg.status)) return;
  a.registered = true;
  remember(opts.secret, reg.body);
  a.accessToken = reg.body.accessToken;
  a.userId = reg.body.user?.id;
  await think();

  const login = await client.call<Tokens>('login', 'POST', '/v1/auth/login', { body: { email: a.email, password: a.password } });
  if (ok(login.status)) {
    remember(opts.secret, login.body);
    a.accessToken = login.body.accessToken;
    a.refreshToken = login.body.refreshToken;
  }
  const token = a.accessToken!;
  const profiles = await client.call<{ profiles?: { id: string }[] }>('profiles', 'GET', '/v1/users/me/profiles', { token });
  a.profileId = profiles.body.profiles?.[0]?.id;
  if (!a.profileId) return;
  await think();

  // Two titles rated once each (so what an acknowledged rating left is unambiguous).
  const picks = [...opts.movies].sort(() => Math.random() - 0.5).slice(0, 3);
  for (const m of picks.slice(0, 2)) {
    const stars = 1 + Math.floor(Math.random() * 5);
    const r = await client.call('rate', 'PUT', `/v1/movies/${m.id}/rating`, { token, body: { profileId: a.profileId, stars } });
    if (ok(r.status)) a.ratings.set(m.id, stars);
    await think();
  }
  if (stopping()) return;

  const checkout = await client.call<{ sessionId?: string }>('checkout', 'POST', '/v1/checkout/sessions', {
    token,
    body: { planId: 'standard-monthly', successUrl: `${opts.gatewayUrl}/account`, cancelUrl: `${opts.gatewayUrl}/plans` },
  });
  if (!ok(checkout.status) || !checkout.body.sessionId) return;
  // The hosted page's Pay button: a form post to the emulator (it answers with a redirect).
  const pay = await client.call('pay', 'POST', `${opts.stripeUrl}/checkout/${checkout.body.sessionId}/pay`, { headers: { 'content-type': 'application/x-www-form-urlencoded' }, rawBody: '' });
  if (pay.status >= 400) return;
  a.paidSession = checkout.body.sessionId;
  // The webhooks make it active; a real client polls the account page.
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    const sub = await client.call<{ status?: string }>('subscription', 'GET', '/v1/subscription', { token });
    if (sub.body.status === 'SUBSCRIPTION_STATUS_ACTIVE') {
      a.activeSeen = true;
      break;
    }
    await sleep(1_000);
  }
  if (!a.activeSeen || stopping()) return;

  const movie = picks[2]!;
  const deviceId = `fault-device-${a.vu}-${randomBytes(3).toString('hex')}`;
  const start = await client.call<{ sessionId?: string; resumePositionSeconds?: number }>('playback-start', 'POST', '/v1/playback/sessions', { token, body: { movieId: movie.id, profileId: a.profileId, deviceId } });
  if (!ok(start.status) || !start.body.sessionId) return;
  const play: PlaySession = { id: start.body.sessionId, movieId: movie.id, deviceId, ackedPosition: 0 };
  a.sessions.push(play);
  for (let i = 1; i <= opts.heartbeats && !stopping(); i++) {
    await sleep(1_000);
    const position = 10 * i;
    const hb = await client.call('heartbeat', 'POST', `/v1/playback/sessions/${play.id}:heartbeat`, { token, body: { positionSeconds: position, state: 'PLAYER_STATE_PLAYING', bitrateKbps: 3500, rebufferMs: 0 } });
    if (ok(hb.status)) play.ackedPosition = Math.max(play.ackedPosition, position);
    else if (hb.status === 403 || hb.status === 404) return;
  }
  const stopAt = play.ackedPosition + 5;
  const stop = await client.call('playback-stop', 'POST', `/v1/playback/sessions/${play.id}:stop`, { token, body: { positionSeconds: stopAt } });
  if (ok(stop.status)) play.stoppedAt = stopAt;
}
