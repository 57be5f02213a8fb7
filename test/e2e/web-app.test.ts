/**
 * The web app in the test stack (`startTestStack(…, { web })`), as browser tests open it: the
 * gateway serves the app shell and its routes on the API's origin, with a CSP that admits the
 * stream host playback hands out, while the JSON API and /healthz go on as before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFixtureDist, type FixtureDist } from '../../web/server/fixture-dist.js';
import { startTestStack, type TestStack } from '../support/stack.js';

const ORIGIN = 'http://127.0.0.1:8088';

describe('the web app through the test stack’s gateway', () => {
  let dist: FixtureDist;
  let stack: TestStack;

  beforeAll(async () => {
    dist = createFixtureDist();
    stack = await startTestStack({}, { web: { dist: dist.dir }, playback: { MUX_STREAM_BASE_URL: ORIGIN, MUX_IMAGE_BASE_URL: `${ORIGIN}/` } });
  });

  afterAll(async () => {
    await stack?.stop();
    dist?.remove();
  });

  it('serves the app shell at / and at app routes, with the stream origin in its CSP', async () => {
    expect(stack.web?.mediaOrigins).toEqual([ORIGIN]);
    for (const path of ['/', '/browse', '/title/demo-000001']) {
      const res = await fetch(stack.gatewayUrl + path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toBe('text/html;charset=utf-8');
      expect(await res.text(), path).toBe(dist.indexHtml);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp, path).toContain(`media-src 'self' blob: ${ORIGIN};`);
      expect(csp, path).toContain(`connect-src 'self' ${ORIGIN};`);
    }
    const asset = await fetch(stack.gatewayUrl + dist.entryJs.path);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  });

  it('leaves the API and the gateway’s /healthz as they were', async () => {
    expect((await fetch(`${stack.gatewayUrl}/healthz`)).status).toBe(200);
    const genres = await fetch(`${stack.gatewayUrl}/v1/genres`);
    expect(genres.status).toBe(200);
    expect(await genres.json()).toHaveProperty('genres');
    const unmapped = await fetch(`${stack.gatewayUrl}/v1/movies-nothing-here`);
    expect(unmapped.status).toBe(404);
    expect(await unmapped.json()).toMatchObject({ code: 5 });
  });
});
