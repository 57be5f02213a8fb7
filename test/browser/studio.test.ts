/**
 * Flix Studio, the operators' console, in Debian's Chromium through the gateway. One stack and
 * one browser for every section's scenario (test/browser/studio/*.ts), run in this order:
 * later scenarios may read what earlier ones did (the dashboard counts the plays made above).
 * axe-core and the CSP are checked on each screen; screenshots go to test-artefacts/studio/.
 * One section alone: npx vitest run test/browser/studio.test.ts -t <describe name>.
 */
import { afterAll, beforeAll } from 'vitest';
import { startJourneyStack } from '../support/journey-stack.js';
import { launchBrowser, screenChecks } from './support/browser.js';
import { analyticsScenario } from './studio/analytics.js';
import type { StudioContext } from './studio/context.js';
import { reviewsScenario } from './studio/reviews.js';
import { streamsScenario } from './studio/streams.js';
import { titlesScenario } from './studio/titles.js';
import { userDetailScenario } from './studio/user-detail.js';
import { usersAndPlansScenario } from './studio/users-and-plans.js';

let context: StudioContext | undefined;
const studio = (): StudioContext => {
  if (!context) throw new Error('the Studio stack did not start (see beforeAll)');
  return context;
};

beforeAll(async () => {
  const [journey, browser] = await Promise.all([startJourneyStack('studio', { web: true }), launchBrowser()]);
  context = { journey, stack: journey.stack, browser, check: screenChecks('studio').check };
}, 180_000);

afterAll(async () => {
  await context?.browser.close();
  await context?.journey.stop();
});

usersAndPlansScenario(studio);
titlesScenario(studio);
reviewsScenario(studio);
userDetailScenario(studio);
analyticsScenario(studio);
streamsScenario(studio);
