/**
 * Titles: an admin filters the title list, creates a title (a bad genre refused beside its
 * field), uploads a small MP4 made with ffmpeg straight to the Mux emulator's upload URL through
 * the page (progress bar; a first try cancelled), watches the video reach ready without a
 * reload, and publishes it; a viewer who subscribes then finds it by search and plays it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpegPath } from '@flix/video-origin';
import { ADMIN, call } from '../../support/stack.js';
import { newDevice, type PageProblems } from '../support/browser.js';
import { PASSWORD, signIn, type Studio } from './context.js';

/** Waits until the <video> has really played past `seconds`, without a media error. */
async function playsPast(page: Page, seconds: number): Promise<void> {
  await page.waitForFunction(
    (s) => {
      const v = document.querySelector('[data-testid="player-video"]') as HTMLVideoElement | null;
      if (v?.error) throw new Error(`media error ${v.error.code}: ${v.error.message}`);
      return !!v && v.currentTime > s && !v.paused;
    },
    seconds,
    { timeout: 30_000 },
  );
}

export function titlesScenario(studio: Studio): void {
  describe('titles', { timeout: 120_000 }, () => {
    // Letters only: a word no demo title has, easy to type into a search box.
    const word = `Lanternfall ${Math.random().toString(36).replace(/[^a-z]/g, '').slice(0, 6)}`;
    const name = `The ${word}`;
    let dir: string;
    let mp4: string;
    let page: Page;
    let problems: PageProblems;
    let close: () => Promise<void>;

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'studio-titles-'));
      mp4 = join(dir, 'lanternfall.mp4');
      // The ffmpeg bundled with the video origin's npm packages (the machine may have none of its own).
      execFileSync(ffmpegPath, ['-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=duration=2:size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine=duration=2',
        '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', mp4]);
    });
    afterAll(async () => {
      await close?.();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('lists titles in every state, filtered by status and video', async () => {
      const { stack, browser, check } = studio();
      const device = await newDevice(browser);
      ({ page, problems } = device);
      close = () => device.context.close();
      await signIn(page, stack.gatewayUrl, ADMIN.email, ADMIN.password);
      await page.getByRole('link', { name: 'Studio' }).click();
      await page.getByRole('navigation', { name: 'Studio' }).getByRole('link', { name: 'Titles' }).click();
      await page.getByRole('heading', { name: 'Titles', level: 1 }).waitFor();
      await page.getByRole('region', { name: 'Titles table' }).waitFor();
      await page.getByLabel('Status').selectOption('published');
      await page.getByLabel('Video').selectOption('ready');
      await expect.poll(() => page.url()).toMatch(/status=published&video=ready/);
      await page.getByText(/titles?, most recently changed first/).waitFor();
      const badges = await page.getByRole('row').locator('td:nth-child(2) .badge').allTextContents();
      expect(badges.length).toBeGreaterThan(0);
      expect(new Set(badges)).toEqual(new Set(['Published']));
      await check(page, 'titles-list', problems);
    });

    it('creates a title; a bad genre is refused beside its field', async () => {
      const { check } = studio();
      await page.getByRole('link', { name: 'New title' }).click();
      await page.getByRole('heading', { name: 'New title', level: 1 }).waitFor();
      await page.getByLabel('Title', { exact: true }).fill(name);
      await page.getByLabel('Synopsis').fill('A lamplighter keeps the last lantern of a drowned city burning.');
      await page.getByLabel('Release year').fill('2025');
      await page.getByLabel('Runtime (minutes)').fill('2');
      await page.getByLabel('Maturity rating').selectOption({ label: 'PG' });
      await page.getByLabel('Genres').fill('Drama, Dramedy');
      await page.getByLabel('Directors').fill('Ines Moreau');
      await page.getByLabel('Required plan').selectOption('PLAN_TIER_BASIC');
      await page.getByRole('button', { name: 'Create title' }).click();
      const genres = page.getByLabel('Genres');
      await expect.poll(() => genres.getAttribute('aria-invalid')).toBe('true');
      await page.locator('.field-error', { hasText: 'unknown genre "Dramedy"' }).waitFor();
      await check(page, 'titles-form-error', problems);
      await genres.fill('Drama, Fantasy');
      await page.getByRole('button', { name: 'Create title' }).click();
      await page.getByRole('heading', { name, level: 1 }).waitFor();
      await page.getByText(`${name} is created as a draft`).waitFor();
      expect(await page.getByRole('button', { name: 'Publish' }).isDisabled()).toBe(true);
      await page.getByText('Publishing needs a ready video (now: no video).').waitFor();
    });

    it('uploads the MP4 from the page with a progress bar (a first try cancelled) and follows the video to ready', async () => {
      const { check } = studio();
      const status = page.getByTestId('video-status');
      // A slow link, so the progress bar is seen (and can be cancelled) before the small file is through.
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 8 * 1024 });
      await page.getByLabel('Video file').setInputFiles(mp4);
      await page.getByRole('button', { name: 'Upload video' }).click();
      const bar = page.getByRole('progressbar', { name: 'Uploading to Mux' });
      await bar.waitFor();
      await expect.poll(() => status.textContent()).toBe('Waiting for upload');
      await bar.scrollIntoViewIfNeeded();
      await check(page, 'titles-uploading', problems);
      await page.getByRole('button', { name: 'Cancel upload' }).click();
      await page.getByText(/The upload was cancelled/).waitFor();
      expect(await bar.count()).toBe(0);

      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 64 * 1024 });
      await page.getByLabel('Video file').setInputFiles(mp4);
      await page.getByRole('button', { name: 'Upload video' }).click();
      await bar.waitFor();
      await page.getByText('The file is uploaded. Mux is processing it.').waitFor({ timeout: 30_000 });
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
      // Mux's webhooks move it along; the page follows without a reload.
      await expect.poll(() => status.textContent(), { timeout: 30_000 }).toBe('Ready');
      await page.getByRole('definition').filter({ hasText: /^\d+:\d\d$/ }).first().waitFor();
      expect(await page.getByText('The file is uploaded. Mux is processing it.').count()).toBe(0);
      await page.evaluate(() => window.scrollTo(0, 0));
      await check(page, 'titles-ready', problems);
    });

    it('publishes it', async () => {
      const { stack, check } = studio();
      await page.getByRole('button', { name: 'Publish' }).click();
      await page.getByText(`${name} is published`).waitFor();
      await page.getByRole('link', { name: 'See it as a viewer' }).waitFor();
      await page.evaluate(() => window.scrollTo(0, 0));
      await check(page, 'titles-published', problems);
      const id = new URL(page.url()).pathname.split('/').pop()!;
      const anonymous = await call(stack.gatewayUrl, 'GET', `/v1/movies/${id}`);
      expect(anonymous.body).toMatchObject({ title: name, status: 'MOVIE_STATUS_PUBLISHED', requiredPlan: 'PLAN_TIER_BASIC' });
    });

    it('a viewer who subscribes finds it by search and plays it', async () => {
      const { stack, browser, check } = studio();
      const email = `studio-titles-viewer-${Date.now()}@example.com`;
      expect((await call(stack.gatewayUrl, 'POST', '/v1/auth/register', { body: { email, password: PASSWORD, displayName: 'Tia Viewer' } })).status).toBe(200);
      const viewer = await newDevice(browser);
      try {
        const v = viewer.page;
        await signIn(v, stack.gatewayUrl, email);
        await v.getByRole('link', { name: 'Account' }).click();
        await v.getByRole('link', { name: /See plans/ }).click();
        await v.getByRole('button', { name: 'Choose Standard monthly' }).click();
        await v.waitForURL(/\/checkout\/cs_/);
        await v.locator('#pay').click();
        await v.waitForURL(/\/checkout\/return/);
        await expect.poll(() => v.getByTestId('checkout-status').textContent(), { timeout: 30_000 }).toMatch(/subscribed/i);

        await v.getByRole('link', { name: 'Search' }).click();
        await v.getByLabel('Titles, people, genres').fill(word.toLowerCase());
        const hit = v.getByRole('link', { name: new RegExp(`^${name}(?![\\w'])`) }).first();
        await hit.waitFor({ timeout: 15_000 });
        await check(v, 'titles-viewer-search', viewer.problems);
        await hit.click();
        await v.getByRole('heading', { name, level: 1 }).waitFor();
        await v.getByRole('button', { name: /^Play/ }).click();
        await playsPast(v, 1);
        await check(v, 'titles-viewer-player', viewer.problems);
      } finally {
        await viewer.context.close();
      }
    });
  });
}
