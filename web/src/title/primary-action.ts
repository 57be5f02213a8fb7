import type { Entitlement, Movie, ViewingEntry } from '../api/client';
import { EntitlementReason } from '../api/gen/flix/billing/v1/resources';
import { formatMoney, formatPosition } from '../lib/format';

/** The one main thing a viewer can do with a title, from billing's answer (never recomputed here). */
export type PrimaryAction =
  | { kind: 'play'; label: string; resumeAt: number }
  | { kind: 'rent'; label: string }
  | { kind: 'upgrade'; label: string; secondaryRent?: string }
  | { kind: 'subscribe'; label: string; secondaryRent?: string }
  | { kind: 'fix-payment'; label: string }
  | { kind: 'partner'; label: string; url: string }
  | { kind: 'unavailable'; label: string };

/** Below this, "Resume" would only skip the opening seconds: play from the start instead. */
const MIN_RESUME_SECONDS = 5;

export function primaryActionFor(movie: Movie, entitlement: Entitlement | undefined, viewing: ViewingEntry | undefined): PrimaryAction {
  if (movie.partner) {
    const price = movie.partner.price ? ` for ${formatMoney(movie.partner.price)}` : '';
    return { kind: 'partner', label: `Watch on ${movie.partner.partnerName}${price}`, url: movie.partner.url };
  }
  const rentLabel = movie.rentalPrice && Number(movie.rentalPrice.amountMinor) > 0 ? `Rent for ${formatMoney(movie.rentalPrice)}` : undefined;
  if (!entitlement) return { kind: 'unavailable', label: 'Checking…' };
  if (entitlement.allowed) {
    const resumeAt = viewing && !viewing.completed && viewing.positionSeconds >= MIN_RESUME_SECONDS ? viewing.positionSeconds : 0;
    return { kind: 'play', label: resumeAt > 0 ? `Resume at ${formatPosition(resumeAt)}` : 'Play', resumeAt };
  }
  switch (entitlement.reason) {
    case EntitlementReason.ENTITLEMENT_REASON_TIER_TOO_LOW:
      return { kind: 'upgrade', label: 'Upgrade your plan', secondaryRent: rentLabel };
    case EntitlementReason.ENTITLEMENT_REASON_RENTAL_REQUIRED:
    case EntitlementReason.ENTITLEMENT_REASON_RENTAL_EXPIRED:
      return rentLabel ? { kind: 'rent', label: rentLabel } : { kind: 'unavailable', label: 'Not available to rent' };
    case EntitlementReason.ENTITLEMENT_REASON_PAYMENT_INCOMPLETE:
      return { kind: 'fix-payment', label: 'Update your payment' };
    case EntitlementReason.ENTITLEMENT_REASON_TITLE_NOT_FOUND:
      return { kind: 'unavailable', label: 'Not available' };
    default:
      // No subscription, expired, past the grace period.
      return { kind: 'subscribe', label: 'Choose a plan', secondaryRent: rentLabel };
  }
}
