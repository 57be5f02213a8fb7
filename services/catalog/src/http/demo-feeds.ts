import type { HttpRoute } from '@flix/http';
import { demoPartnerFeed } from '../demo/generator.js';

export const DEMO_PARTNERS = [
  { id: 'primeview', name: 'Primeview' },
  { id: 'cinevault', name: 'CineVault' },
] as const;

/** The embedded default's partner feeds, served by the catalog itself so that no account is needed. */
export function demoFeedRoutes(): HttpRoute[] {
  return DEMO_PARTNERS.map((p) => ({
    method: 'GET' as const,
    path: `/demo/partner-feeds/${p.id}`,
    handle: async () => ({ status: 200, body: demoPartnerFeed(p.id) }),
  }));
}
