/**
 * Emulator time: the wall clock plus an offset that advance() moves, as Stripe test clocks do.
 * Work that falls due (expiries, trial notices, cancellations, renewals, payment retries) runs in
 * time order, each step with "now" pinned to the moment it fell due.
 */
import type { Logger } from '../types.js';

/** Ties at the same instant run in this order. */
export const DUE_RANK = { sessionExpiry: 0, trialWillEnd: 1, cancellation: 2, renewal: 3, paymentRetry: 4 } as const;

/** Offers one piece of due work; the earliest (then lowest-ranked, then first offered) runs next. */
export type OfferDue = (at: number, rank: number, run: () => void) => void;

/** A resource with scheduled work. */
export interface DueSource {
  offerDue(offer: OfferDue): void;
}

export class EmulatorClock {
  offset = 0;
  /** While due work runs, "now" is the moment it fell due. */
  private pinned: number | null = null;

  /** Emulator time, unix seconds. */
  now(): number {
    return this.pinned ?? Math.floor(Date.now() / 1000) + this.offset;
  }

  /**
   * Runs, in time order, everything the sources have due up to `target`; `settle` runs after each
   * step (its events go out stamped with the step's own time).
   */
  runDue(target: number, sources: readonly DueSource[], settle: () => void, logger: Logger): void {
    // The guard only stops a runaway (e.g. daily plans advanced by decades).
    for (let guard = 0; guard < 100_000; guard++) {
      const next = this.nextDue(target, sources);
      if (!next) return;
      this.pinned = next.at;
      try {
        next.run();
      } finally {
        this.pinned = null;
      }
      settle();
    }
    logger.warn({ target }, 'stripe-emulator: stopped running due work after 100000 steps');
  }

  private nextDue(target: number, sources: readonly DueSource[]): { at: number; run: () => void } | null {
    let best: { at: number; rank: number; run: () => void } | null = null;
    const offer: OfferDue = (at, rank, run) => {
      if (at > target) return;
      if (!best || at < best.at || (at === best.at && rank < best.rank)) best = { at, rank, run };
    };
    for (const source of sources) source.offerDue(offer);
    return best;
  }
}
