import { describe, expect, it } from 'vitest';
import type { Entitlement, Movie, ViewingEntry } from '../api/client';
import { EntitlementReason } from '../api/gen/flix/billing/v1/resources';
import { primaryActionFor } from './primary-action';

const movie = (over: Partial<Movie> = {}): Movie => ({ id: 'm1', title: 'Film', rentalPrice: { amountMinor: '399', currency: 'USD' }, partner: undefined, ...over }) as Movie;
const ent = (over: Partial<Entitlement>): Entitlement => ({ allowed: false, reason: EntitlementReason.ENTITLEMENT_REASON_UNSPECIFIED, ...over }) as Entitlement;
const viewing = (positionSeconds: number, completed = false) => ({ positionSeconds, completed }) as ViewingEntry;

describe('primaryActionFor', () => {
  it('plays, or resumes at the saved position', () => {
    expect(primaryActionFor(movie(), ent({ allowed: true }), undefined)).toMatchObject({ kind: 'play', label: 'Play' });
    expect(primaryActionFor(movie(), ent({ allowed: true }), viewing(125))).toMatchObject({ kind: 'play', label: 'Resume at 2:05', resumeAt: 125 });
    expect(primaryActionFor(movie(), ent({ allowed: true }), viewing(125, true))).toMatchObject({ label: 'Play', resumeAt: 0 });
    expect(primaryActionFor(movie(), ent({ allowed: true }), viewing(4))).toMatchObject({ label: 'Play' });
  });
  it('follows billing’s reason when not entitled', () => {
    expect(primaryActionFor(movie(), ent({ reason: EntitlementReason.ENTITLEMENT_REASON_TIER_TOO_LOW }), undefined)).toMatchObject({ kind: 'upgrade', label: 'Upgrade your plan', secondaryRent: 'Rent for $3.99' });
    expect(primaryActionFor(movie(), ent({ reason: EntitlementReason.ENTITLEMENT_REASON_RENTAL_REQUIRED }), undefined)).toMatchObject({ kind: 'rent', label: 'Rent for $3.99' });
    expect(primaryActionFor(movie({ rentalPrice: undefined }), ent({ reason: EntitlementReason.ENTITLEMENT_REASON_NO_SUBSCRIPTION }), undefined)).toEqual({ kind: 'subscribe', label: 'Choose a plan', secondaryRent: undefined });
    expect(primaryActionFor(movie(), ent({ reason: EntitlementReason.ENTITLEMENT_REASON_PAYMENT_INCOMPLETE }), undefined).kind).toBe('fix-payment');
  });
  it('sends partner titles to their store', () => {
    const m = movie({ partner: { partnerId: 'p', partnerName: 'CineShop', price: { amountMinor: '499', currency: 'USD' }, url: 'https://shop.example/x', lastSeenTime: undefined } });
    expect(primaryActionFor(m, undefined, undefined)).toEqual({ kind: 'partner', label: 'Watch on CineShop for $4.99', url: 'https://shop.example/x' });
  });
});
