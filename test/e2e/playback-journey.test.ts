/**
 * The whole product, end to end through the gateway, with nothing faked: the real Stripe SDK
 * against the Stripe emulator (hosted checkout, signed webhooks, a clock), the real Mux SDK
 * against the Mux emulator (playback creates its URL signing key there), and the local video
 * origin that checks the signed tokens and serves an HLS stream ffprobe can play.
 *
 * register → browse and search → subscribe (checkout + Pay + signed webhooks) → play → heartbeats
 * → stop → continue watching → a device beyond the plan's limit is refused → cancel → after the
 * period ends playback is refused; and a rental: pay, play (its 48-hour clock starts), refused
 * once returned.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StripeEmulator } from '@flix/stripe-emulator';
import { probe, type VideoOrigin } from '@flix/video-origin';
import { call, type TestStack } from '../support/stack.js';
import { startJourneyStack, type JourneyStack } from '../support/journey-stack.js';
import { eventually as until } from '@flix/testkit';

let journey: JourneyStack;
let stack: TestStack;
let stripe: StripeEmulator;
let origin: VideoOrigin;
const gw = (method: string, path: string, opts?: Parameters<typeof call>[3]) => call(stack.gatewayUrl, method, path, opts);

beforeAll(async () => {
  journey = await startJourneyStack('e2e_journey');
  ({ stack, stripe, origin } = journey);
}, 180_000);

afterAll(async () => {
  await journey?.stop();
});

describe('the viewer journey', () => {
  let token: string;
  let profileId: string;
  let movie: { id: string; title: string; runtimeMinutes: number };
  let sessionId: string;
  let periodEnd: number;

  it('registers, browses and searches', async () => {
    const reg = await gw('POST', '/v1/auth/register', { body: { email: `journey-${Date.now()}@example.com`, password: 'a long uncommon passphrase', displayName: 'Jo Urney', preferredLanguage: 'en' } });
    expect(reg.status).toBe(200);
    token = reg.body.accessToken;
    profileId = (await gw('GET', '/v1/users/me/profiles', { token })).body.profiles[0].id;
    const browse = await gw('GET', '/v1/movies?genre=Drama&pageSize=5', { token });
    expect(browse.status).toBe(200);
    expect(browse.body.movies.length).toBeGreaterThan(0);
    // A Standard-plan title found by a misspelt search.
    const standard = (await gw('GET', '/v1/movies?pageSize=100', { token })).body.movies.find((m: { requiredPlan: string }) => m.requiredPlan === 'PLAN_TIER_BASIC' || m.requiredPlan === 'PLAN_TIER_STANDARD');
    const typo = standard.title.slice(0, -1) + (standard.title.endsWith('x') ? 'y' : 'x');
    const found = await until(() => gw('GET', `/v1/movies:search?q=${encodeURIComponent(typo)}`, { token }), (r) => r.body?.movies?.some((m: { id: string }) => m.id === standard.id), 'search hit');
    expect(found.status).toBe(200);
    movie = standard;
  });

  it('is refused playback before subscribing', async () => {
    const r = await gw('POST', '/v1/playback/sessions', { token, body: { movieId: movie.id, profileId, deviceId: 'living-room-tv' } });
    expect(r.status).toBe(403);
  });

  it('subscribes through the emulated Stripe checkout and its signed webhooks', async () => {
    const s = await gw('POST', '/v1/checkout/sessions', { token, body: { planId: 'standard-monthly', successUrl: 'https://app.test/ok', cancelUrl: 'https://app.test/no' } });
    expect(s.status).toBe(200);
    expect(s.body.url).toContain(s.body.sessionId);
    await stripe.pay(s.body.sessionId);
    await stripe.whenDelivered();
    const sub = await until(() => gw('GET', '/v1/subscription', { token }), (r) => r.body?.status === 'SUBSCRIPTION_STATUS_ACTIVE', 'active subscription');
    expect(sub.body.maxConcurrentStreams).toBe(2);
    periodEnd = Date.parse(sub.body.currentPeriodEnd) / 1000;
  });

  it('starts playback and the signed URL plays from the origin (ffprobe)', async () => {
    const r = await gw('POST', '/v1/playback/sessions', { token, body: { movieId: movie.id, profileId, deviceId: 'living-room-tv' } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ resumePositionSeconds: 0, maxQuality: 'MAX_QUALITY_HD', maxConcurrentStreams: 2 });
    sessionId = r.body.sessionId;
    expect(r.body.playbackUrl.startsWith(`${origin.url}/`)).toBe(true);
    const probed = await probe(r.body.playbackUrl);
    expect(probed.streams.some((s) => s.codec_type === 'video' && s.codec_name === 'h264')).toBe(true);
    expect(Number(probed.format.duration)).toBeGreaterThan(1);
    expect((await fetch(r.body.thumbnailUrl)).status).toBe(200);
    expect((await fetch(r.body.storyboardUrl)).status).toBe(200);
    // The token is bound to its title and its audience: swapped or missing, the origin refuses.
    const playbackId = new URL(r.body.playbackUrl).pathname.slice(1).replace(/\.m3u8$/, '');
    expect((await fetch(`${origin.url}/other-title.m3u8?token=${r.body.playbackToken}`)).status).toBe(403);
    expect((await fetch(`${origin.url}/${playbackId}.m3u8?token=${r.body.thumbnailToken}`)).status).toBe(403);
    expect((await fetch(`${origin.url}/${playbackId}.m3u8`)).status).toBe(403);
  });

  it('records heartbeats, stops, and continue watching shows the position', async () => {
    for (const p of [15, 30, 45]) {
      const hb = await gw('POST', `/v1/playback/sessions/${sessionId}:heartbeat`, { token, body: { positionSeconds: p, state: 'PLAYER_STATE_PLAYING', bitrateKbps: 3500, rebufferMs: 120 } });
      expect(hb.status).toBe(200);
      expect(hb.body.state).toBe('SESSION_STATE_PLAYING');
    }
    const stopped = await gw('POST', `/v1/playback/sessions/${sessionId}:stop`, { token, body: { positionSeconds: 47 } });
    expect(stopped.body).toMatchObject({ state: 'SESSION_STATE_ENDED', positionSeconds: 47 });
    const cw = await gw('GET', `/v1/continue-watching?profileId=${profileId}`, { token });
    expect(cw.body.entries[0]).toMatchObject({ movieId: movie.id, positionSeconds: 47, completed: false });
    const again = await gw('POST', '/v1/playback/sessions', { token, body: { movieId: movie.id, profileId, deviceId: 'living-room-tv' } });
    expect(again.body.resumePositionSeconds).toBe(47);
    sessionId = again.body.sessionId;
  });

  it('refuses a device beyond the plan\'s two streams', async () => {
    const second = await gw('POST', '/v1/playback/sessions', { token, body: { movieId: movie.id, profileId, deviceId: 'phone' } });
    expect(second.status).toBe(200);
    const third = await gw('POST', '/v1/playback/sessions', { token, body: { movieId: movie.id, profileId, deviceId: 'laptop' } });
    expect(third.status).toBe(429);
    expect(third.body.message).toMatch(/allows 2 concurrent streams/);
  });

  it('cancels; plays until the period ends, then playback is refused and the open session ends', async () => {
    const canceled = await gw('POST', '/v1/subscription:cancel', { token, body: {} });
    expect(canceled.body).toMatchObject({ status: 'SUBSCRIPTION_STATUS_CANCELED', cancelAtPeriodEnd: true });
    await stripe.whenDelivered();
    expect((await gw('POST', `/v1/playback/sessions/${sessionId}:heartbeat`, { token, body: { positionSeconds: 60, state: 'PLAYER_STATE_PLAYING' } })).status).toBe(200);

    await stripe.advanceClock(periodEnd - stripe.now() + 3600);
    await stripe.whenDelivered();
    await until(() => gw('GET', '/v1/subscription', { token }), (r) => r.body?.status === 'SUBSCRIPTION_STATUS_EXPIRED', 'expired subscription');
    // billing.subscription.expired reaches playback: the next heartbeat of the open session ends it.
    const ended = await until(
      () => gw('POST', `/v1/playback/sessions/${sessionId}:heartbeat`, { token, body: { positionSeconds: 61, state: 'PLAYER_STATE_PLAYING' } }),
      (r) => r.status !== 200,
      'session revoked',
    );
    expect(ended.status).toBe(403);
    const refused = await gw('POST', '/v1/playback/sessions', { token, body: { movieId: movie.id, profileId, deviceId: 'living-room-tv' } });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toMatch(/subscription has ended/);
  });
});

describe('the rental journey', () => {
  it('rents a title, plays it (the rental clock starts), and is refused once it is returned', async () => {
    const reg = await gw('POST', '/v1/auth/register', { body: { email: `renter-${Date.now()}@example.com`, password: 'a long uncommon passphrase', displayName: 'Ren Ter', preferredLanguage: 'en' } });
    const token = reg.body.accessToken as string;
    const profileId = (await gw('GET', '/v1/users/me/profiles', { token })).body.profiles[0].id as string;
    const page = await gw('GET', '/v1/movies?pageSize=100', { token });
    const rentable = page.body.movies.find((m: { rentalPrice?: { amountMinor: string } }) => m.rentalPrice && Number(m.rentalPrice.amountMinor) > 0);
    expect((await gw('POST', '/v1/playback/sessions', { token, body: { movieId: rentable.id, profileId, deviceId: 'tablet' } })).status).toBe(403);

    const r = await gw('POST', '/v1/rentals', { token, body: { movieId: rentable.id } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    await stripe.pay(r.body.sessionId);
    await stripe.whenDelivered();
    await until(() => gw('GET', '/v1/rentals', { token }), (x) => x.body?.rentals?.[0]?.status === 'RENTAL_STATUS_ACTIVE', 'active rental');

    const play = await gw('POST', '/v1/playback/sessions', { token, body: { movieId: rentable.id, profileId, deviceId: 'tablet' } });
    expect(play.status, JSON.stringify(play.body)).toBe(200);
    expect(play.body.maxConcurrentStreams).toBe(1);
    const rentals = await until(() => gw('GET', '/v1/rentals', { token }), (x) => !!x.body?.rentals?.[0]?.playExpireTime, 'rental clock started');
    const playExpires = Date.parse(rentals.body.rentals[0].playExpireTime);
    expect(playExpires - stripe.now() * 1000).toBeGreaterThan(47 * 3600_000);
    expect(playExpires - stripe.now() * 1000).toBeLessThanOrEqual(48 * 3600_000 + 60_000);
    // Rentals allow one stream.
    expect((await gw('POST', '/v1/playback/sessions', { token, body: { movieId: rentable.id, profileId, deviceId: 'phone' } })).status).toBe(429);

    await gw('POST', `/v1/playback/sessions/${play.body.sessionId}:stop`, { token, body: { positionSeconds: 30 } });
    expect((await gw('POST', `/v1/rentals/${r.body.rental.id}:return`, { token, body: {} })).status).toBe(200);
    const after = await gw('POST', '/v1/playback/sessions', { token, body: { movieId: rentable.id, profileId, deviceId: 'tablet' } });
    expect(after.status).toBe(403);
  });
});
