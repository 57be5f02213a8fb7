/**
 * Event streams and Dead letters: an admin sees every stream and its consumers, then finds a
 * rating event that catalog gave up on in the DLQ (its subject, error and payload), replays it,
 * and catalog counts the rating exactly once — however often the replay is asked for.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { ADMIN, call } from '../../support/stack.js';
import { newDevice } from '../support/browser.js';
import { PASSWORD, signIn, type Studio } from './context.js';

export function streamsScenario(studio: Studio): void {
  describe('streams', { timeout: 120_000 }, () => {
    it('shows the streams and their consumers, and replays a dead letter whose effect happens once', async () => {
      const { stack, browser, check } = studio();
      const gw = stack.gatewayUrl;

      // A real viewer and profile, and a title of our own whose rating count nobody else touches.
      const admin = await call(gw, 'POST', '/v1/auth/login', { body: { email: ADMIN.email, password: ADMIN.password } });
      expect(admin.status).toBe(200);
      const adminToken: string = admin.body.accessToken;
      const viewer = await call(gw, 'POST', '/v1/auth/register', {
        body: { email: `studio-rater-${randomBytes(4).toString('hex')}@example.com`, password: PASSWORD, displayName: 'Rae Ter', preferredLanguage: 'en' },
      });
      expect(viewer.status).toBe(200);
      const profiles = await call(gw, 'GET', '/v1/users/me/profiles', { token: viewer.body.accessToken });
      const profileId: string = profiles.body.profiles[0].id;
      const movie = await call(gw, 'POST', '/v1/movies', {
        token: adminToken,
        body: { title: 'The Night Ferry', description: 'A ferry, a storm and a lost ticket.', genres: ['drama'], releaseYear: 2025, runtimeMinutes: 94, maturityRating: 'MATURITY_RATING_PG', audioLanguages: ['en'], requiredPlan: 'PLAN_TIER_BASIC' },
      });
      expect(movie.status, JSON.stringify(movie.body)).toBe(200);
      const movieId: string = movie.body.id;
      const rating = async (): Promise<{ count?: number; average?: number }> => (await call(gw, 'GET', `/v1/movies/${movieId}`, { token: adminToken })).body.rating ?? {};

      // The viewer's rating as engagement publishes it, parked by catalog as libs/events does
      // after the handler gave up (say, its database was down): never applied.
      const event = { eventId: randomUUID(), occurTime: new Date().toISOString(), userId: viewer.body.user.id, profileId, movieId, stars: 4, previousStars: 0, hasReview: false };
      const nc = await connect({ servers: stack.nats.url });
      try {
        const js = jetstream(nc);
        const jsm = await jetstreamManager(nc);
        const h = natsHeaders();
        h.set('Flix-Event-Type', 'flix.engagement.v1.RatingSet');
        h.set('Flix-Event-Id', event.eventId);
        h.set('Flix-Dlq-Reason', 'handler failed 5 times: connection to mongo refused');
        h.set('Flix-Dlq-Consumer', 'catalog');
        h.set('Flix-Dlq-Attempts', '5');
        h.set('Flix-Dlq-Stream', 'ENGAGEMENT');
        h.set('Flix-Dlq-Subject', 'engagement.rating.set');
        h.set('Flix-Dlq-Stream-Seq', '1');
        const seq = (await js.publish('dlq.catalog', JSON.stringify(event), { headers: h, msgID: `studio:${event.eventId}` })).seq;
        expect((await rating()).count ?? 0).toBe(0);

        const { page, problems, context } = await newDevice(browser);
        await signIn(page, gw, ADMIN.email, ADMIN.password);
        await page.getByRole('link', { name: 'Studio' }).click();
        const nav = page.getByRole('navigation', { name: 'Studio' });

        // Event streams: every stream, and each stream's durable consumers.
        await nav.getByRole('link', { name: 'Event streams' }).click();
        await page.getByRole('heading', { name: 'Event streams', level: 1 }).waitFor();
        const streams = page.getByRole('region', { name: 'Streams table' });
        for (const name of ['ANALYTICS', 'BILLING', 'CATALOG', 'DLQ', 'ENGAGEMENT', 'IDENTITY', 'PLAYBACK']) await streams.getByRole('rowheader', { name: new RegExp(`^${name}(\\s|$)`) }).waitFor();
        await expect.poll(() => streams.getByRole('rowheader', { name: /^DLQ(\s|$)/ }).locator('xpath=..').textContent()).toMatch(/dlq\.>/);
        const engagement = page.getByRole('region', { name: 'Consumers of ENGAGEMENT' });
        await engagement.getByRole('rowheader', { name: /^catalog/ }).waitFor();
        expect(await engagement.getByRole('rowheader', { name: /^catalog/ }).textContent()).toContain('engagement.rating.>');
        await page.getByText(/^Updated at/).waitFor();
        await page.getByText('nats consumer report ENGAGEMENT').first().waitFor();
        await check(page, 'streams', problems);
        // Scrolled to the consumers, clear of the app's sticky header.
        await page.evaluate(() => window.scrollTo(0, (document.getElementById('consumers-heading')?.getBoundingClientRect().top ?? 0) + window.scrollY - 90));
        await check(page, 'streams-consumers', problems);

        // Dead letters: the parked rating with its subject, error and payload.
        await nav.getByRole('link', { name: 'Dead letters' }).click();
        await page.getByRole('heading', { name: 'Dead letters', level: 1 }).waitFor();
        const card = page.getByRole('article').filter({ hasText: event.eventId });
        await card.waitFor();
        expect(await card.getByRole('heading').textContent()).toBe('engagement.rating.set');
        await card.getByText('handler failed 5 times: connection to mongo refused').waitFor();
        await card.getByText('Payload (JSON)').click();
        expect(JSON.parse((await card.locator('pre').textContent()) ?? '')).toEqual(event);
        await check(page, 'dead-letters', problems);

        // Replay, confirmed with a double click: asked for twice, done once.
        await card.getByRole('button', { name: `Replay dead letter #${seq} (engagement.rating.set)` }).click();
        await card.getByRole('group', { name: /re-published to engagement.rating.set as message replay-/ }).waitFor();
        await check(page, 'dead-letters-confirm', problems);
        await card.getByRole('button', { name: `Yes, replay #${seq}` }).dblclick();
        const notice = page.locator('.admin-notice').getByRole('status');
        await notice.filter({ hasText: `Dead letter #${seq}` }).waitFor();
        expect(await notice.textContent()).toMatch(new RegExp(`was replayed by you \\(${ADMIN.email}\\) at .+: re-published as replay-${seq} to ENGAGEMENT #\\d+\\.$`));
        await expect.poll(() => card.count()).toBe(0);
        await check(page, 'dead-letters-replayed', problems);
        const replays = problems.api.filter((r) => r.path === `/v1/admin/dead-letters/${seq}:replay`);
        expect(replays).toEqual([{ method: 'POST', path: `/v1/admin/dead-letters/${seq}:replay`, status: 200 }]);

        // Reloaded, it is gone; asked again through the API, the first record comes back.
        await page.reload();
        await page.getByRole('heading', { name: 'Dead letters', level: 1 }).waitFor();
        await page.locator('.admin-count').waitFor();
        expect(await page.getByRole('article').filter({ hasText: event.eventId }).count()).toBe(0);
        const again = await call(gw, 'POST', `/v1/admin/dead-letters/${seq}:replay`, { token: adminToken, body: {} });
        expect(again.status).toBe(200);
        expect(again.body).toMatchObject({ kind: 'KIND_REPLAYED', actor: admin.body.user.id, replayMessageId: `replay-${seq}`, eventId: event.eventId });

        // Its effect, once: catalog counted the viewer's rating, and only once.
        await expect.poll(rating, { timeout: 15_000 }).toMatchObject({ count: 1, average: 4 });
        await new Promise((r) => setTimeout(r, 1500));
        expect(await rating()).toMatchObject({ count: 1, average: 4 });
        const info = await jsm.streams.info('ENGAGEMENT');
        let copies = 0;
        for (let s = info.state.first_seq; s <= info.state.last_seq; s++) {
          const m = await jsm.streams.getMessage('ENGAGEMENT', { seq: s }).catch(() => null);
          if (m?.header?.get('Nats-Msg-Id') === `replay-${seq}`) copies++;
        }
        expect(copies).toBe(1);
        await context.close();
      } finally {
        await nc.close();
      }
    });
  });
}
