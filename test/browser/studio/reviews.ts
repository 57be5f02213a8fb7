/**
 * Reviews: a viewer's review of a published title is visible to other viewers; an admin finds it
 * in Studio → Reviews and rejects it (a reason is required); the title page no longer shows it.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ADMIN, call } from '../../support/stack.js';
import { newDevice } from '../support/browser.js';
import { PASSWORD, signIn, type Studio } from './context.js';

const MOVIE = 'demo-000002';

/** The title page's Reviews section once it has answered (a list or its empty state). */
async function titleReviews(page: Page, gatewayUrl: string) {
  await page.goto(`${gatewayUrl}/title/${MOVIE}`);
  const section = page.getByRole('region', { name: 'Reviews' });
  await section.getByRole('heading', { name: 'Reviews' }).waitFor();
  await expect.poll(async () => (await section.getByText('Loading reviews').count()) === 0 && (await section.locator('.review, .empty').count()) > 0).toBe(true);
  await section.scrollIntoViewIfNeeded();
  return section;
}

export function reviewsScenario(studio: Studio): void {
  describe('reviews', { timeout: 120_000 }, () => {
    const stamp = Date.now();
    const text = `Studio scenario ${stamp}: the middle act drags, but the ending is worth it.`;
    const readerEmail = `studio-reader-${stamp}@example.com`;
    let reviewId = '';

    it('a viewer writes a review of a published title and other viewers see it', async () => {
      const { stack, browser, check } = studio();
      const gw = stack.gatewayUrl;
      for (const email of [`studio-reviewer-${stamp}@example.com`, readerEmail]) {
        const reg = await call(gw, 'POST', '/v1/auth/register', { body: { email, password: PASSWORD, displayName: email.split('@')[0] } });
        expect(reg.status, JSON.stringify(reg.body)).toBe(200);
        if (email === readerEmail) break;
        const profiles = await call(gw, 'GET', '/v1/users/me/profiles', { token: reg.body.accessToken });
        const rated = await call(gw, 'PUT', `/v1/movies/${MOVIE}/rating`, { token: reg.body.accessToken, body: { profileId: profiles.body.profiles[0].id, stars: 2, review: text } });
        expect(rated.status, JSON.stringify(rated.body)).toBe(200);
        reviewId = rated.body.reviewId;
      }

      const { page, problems, context } = await newDevice(browser);
      await signIn(page, gw, readerEmail);
      const section = await titleReviews(page, gw);
      await section.getByText(text).waitFor();
      await check(page, 'reviews-viewer-before', problems);
      await context.close();
    });

    it('an admin finds it in Studio → Reviews and rejects it with a reason', async () => {
      const { stack, browser, check } = studio();
      const { page, problems, context } = await newDevice(browser);
      await signIn(page, stack.gatewayUrl, ADMIN.email, ADMIN.password);
      await page.getByRole('link', { name: 'Studio' }).click();
      await page.getByRole('navigation', { name: 'Studio' }).getByRole('link', { name: 'Reviews' }).click();
      await page.getByRole('heading', { name: 'Reviews', level: 1 }).waitFor();
      const card = page.getByRole('article').filter({ hasText: text });
      await card.waitFor();
      // Newest first: the review just written heads the queue; the title's name comes from the catalog.
      await expect.poll(() => page.getByRole('article').first().textContent()).toContain(text);
      await card.getByRole('heading', { name: 'Interstellar' }).waitFor();
      await card.getByRole('img', { name: '2 out of 5 stars' }).waitFor();
      await check(page, 'reviews-queue', problems);

      await card.getByRole('button', { name: 'Reject the review of Interstellar' }).click();
      const reason = card.getByRole('textbox', { name: 'Reason for rejecting' });
      expect(await reason.evaluate((el) => el === document.activeElement)).toBe(true);
      await card.getByRole('button', { name: 'Reject review' }).click();
      await card.getByText('Give a reason').waitFor();
      expect(await reason.getAttribute('aria-invalid')).toBe('true');
      await check(page, 'reviews-reject-reason-required', problems);

      await reason.fill('Gives away the ending');
      await card.getByRole('button', { name: 'Reject review' }).click();
      await card.waitFor({ state: 'detached' });
      await page.getByRole('status').filter({ hasText: 'Rejected the review of Interstellar' }).waitFor();
      // Focus stays on the queue (the next review, or the list's heading when none is left).
      expect(await page.evaluate(() => document.activeElement?.closest('.admin-list') !== null)).toBe(true);
      await check(page, 'reviews-after-reject', problems);

      await page.getByLabel('Show').selectOption('rejected');
      const rejected = page.getByRole('article').filter({ hasText: text });
      await rejected.getByText('Gives away the ending').waitFor();
      await rejected.getByText('Rejected', { exact: true }).waitFor();
      await check(page, 'reviews-rejected-filter', problems);

      const listed = await call(stack.gatewayUrl, 'GET', '/v1/admin/reviews?filter=REVIEW_FILTER_HIDDEN', { token: (await call(stack.gatewayUrl, 'POST', '/v1/auth/login', { body: ADMIN })).body.accessToken });
      expect(listed.body.reviews.find((r: { id: string }) => r.id === reviewId)).toMatchObject({ state: 'REVIEW_STATE_HIDDEN', moderationReason: 'Gives away the ending' });
      await context.close();
    });

    it("the title page no longer shows it to viewers", async () => {
      const { stack, browser, check } = studio();
      const { page, problems, context } = await newDevice(browser);
      await signIn(page, stack.gatewayUrl, readerEmail);
      const section = await titleReviews(page, stack.gatewayUrl);
      expect(await section.getByText(text).count()).toBe(0);
      await check(page, 'reviews-viewer-after', problems);
      await context.close();
    });
  });
}
