import { requireUser, type Principal } from '@flix/auth';
import { DomainError, notFound, Violations } from '@flix/errors';
import { checkUrl, invalidField, nextCheckoutSlot, pageOf, refreshEntitlement, rentalWindows, type BillingDeps, type Page, type PageRequest } from './common.js';
import type { Customers } from './customers.js';
import type { CheckoutRecord, RentalRecord } from './model.js';
import { DuplicateRecordError } from './ports.js';
import * as rental from './rental.js';

export interface RentalCheckout {
  rental: RentalRecord;
  sessionId: string;
  url: string;
}

/**
 * Rentals: paying for one title (a Stripe payment checkout), its play clock, returning it early,
 * and the sweeper that closes rentals whose time is up. Payment and refunds arrive as Stripe events.
 */
export class Rentals {
  private readonly windows: rental.RentalWindows;

  constructor(
    private readonly deps: Pick<BillingDeps, 'store' | 'stripe' | 'movies' | 'clock' | 'settings'>,
    private readonly customers: Customers,
  ) {
    this.windows = rentalWindows(deps.settings);
  }

  private now(): Date {
    return this.deps.clock.now();
  }

  /** A pending rental and the Checkout session that pays for it; a second click gets the open one. */
  async rent(principal: Principal | undefined, input: { movieId: string; successUrl: string; cancelUrl: string }): Promise<RentalCheckout> {
    const { store, stripe } = this.deps;
    const user = requireUser(principal);
    const v = new Violations();
    if (!input.movieId.trim()) v.add('movieId', 'is required');
    // Title ids are short; a long one is refused here rather than echoed back from the catalog.
    else if (input.movieId.length > 200) v.add('movieId', 'at most 200 characters');
    checkUrl(v, 'successUrl', input.successUrl);
    checkUrl(v, 'cancelUrl', input.cancelUrl);
    v.throwIfAny();
    const movie = await this.deps.movies.get(input.movieId);
    if (!movie) throw new DomainError('not_found', 'MOVIE_NOT_FOUND', `movieId: no title ${input.movieId}`, [{ field: 'movieId', description: 'no such title' }]);
    if (!movie.rentalPrice || movie.rentalPrice.amountMinor <= 0) throw invalidField('movieId', `"${movie.title}" cannot be rented (it has no rental price)`, 'NOT_RENTABLE');
    const now = this.now();
    const mine = await store.transact((tx) => tx.rentalsOf(user.subject));
    const active = mine.find((r) => r.movieId === movie.id && rental.effectiveStatus(r, now) === 'active');
    if (active) throw new DomainError('already_exists', 'ALREADY_RENTED', `movieId: "${movie.title}" is already rented until ${active.endsAt?.toISOString()}`, [{ field: 'movieId', description: 'already rented' }]);
    const open = (await store.openCheckouts(user.subject, 'rental')).find((c) => c.expiresAt.getTime() > now.getTime() && mine.some((r) => r.id === c.rentalId && r.movieId === movie.id && r.status === 'pending'));
    if (open) {
      const r = mine.find((x) => x.id === open.rentalId)!;
      return { rental: r, sessionId: open.id, url: open.url };
    }
    const customerId = await this.customers.ensure(user.subject, '');
    const { slot, n } = await nextCheckoutSlot(store, `${user.subject}:rental:${movie.id}:`, now);
    const rentalId = `rent_${Buffer.from(slot).toString('base64url').slice(-12)}${n}${Math.random().toString(36).slice(2, 8)}`;
    const session = await stripe.createPaymentCheckout(
      {
        customerId,
        userId: user.subject,
        rentalId,
        movieId: movie.id,
        title: movie.title,
        price: movie.rentalPrice,
        successUrl: input.successUrl || this.deps.settings.defaultReturnUrl,
        cancelUrl: input.cancelUrl || this.deps.settings.defaultReturnUrl,
      },
      `flix-rental-${slot}`,
    );
    const r: RentalRecord = {
      id: rentalId,
      userId: user.subject,
      movieId: movie.id,
      movieTitle: movie.title,
      status: 'pending',
      price: movie.rentalPrice,
      checkoutSessionId: session.sessionId,
      paymentId: '',
      paidAt: null,
      expiresAt: null,
      playStartedAt: null,
      playExpiresAt: null,
      endsAt: null,
      returnedAt: null,
      createdAt: now,
      updatedAt: now,
      version: 0,
    };
    const checkout: CheckoutRecord = {
      id: session.sessionId,
      userId: user.subject,
      kind: 'rental',
      slot,
      planId: '',
      rentalId,
      url: session.url,
      status: 'open',
      expiresAt: session.expiresAt,
      listPrice: movie.rentalPrice,
      offerId: '',
      couponId: '',
      percentOff: 0,
      finalPrice: movie.rentalPrice,
      createdAt: now,
      completedAt: null,
    };
    const saved = await store
      .transact(async (tx) => {
        await tx.insertCheckout(checkout);
        const stored = await tx.saveRental(r);
        await tx.emit([{ subject: 'billing.rental.created', rental: stored }]);
        return stored;
      })
      .catch((e: unknown) => {
        if (e instanceof DuplicateRecordError) return null;
        throw e;
      });
    if (!saved) {
      // A concurrent request took this slot first: hand out its session, never a second one.
      const winner = await store.checkoutBySlot(slot);
      await stripe.expireCheckout(session.sessionId).catch(() => undefined);
      const wr = winner ? await store.rental(winner.rentalId) : null;
      if (!winner || !wr) throw new DomainError('aborted', 'CONCURRENT_MODIFICATION', 'another rental request is in progress; retry');
      return { rental: wr, sessionId: winner.id, url: winner.url };
    }
    return { rental: saved, sessionId: session.sessionId, url: session.url };
  }

  /** The caller's rentals, newest first (as stored: readers show them through `view`). */
  async list(principal: Principal | undefined, page: PageRequest): Promise<Page<RentalRecord>> {
    const user = requireUser(principal);
    return pageOf(await this.deps.store.listRentals(user.subject, { size: page.size + 1, after: page.after }), page.size);
  }

  /** The status a reader should see (an active rental past its end reads as expired before the sweeper runs). */
  view(r: RentalRecord): RentalRecord {
    const s = rental.effectiveStatus(r, this.now());
    return s === r.status ? r : { ...r, status: s };
  }

  /** Ends the caller's active rental now. */
  async return(principal: Principal | undefined, rentalId: string): Promise<RentalRecord> {
    const user = requireUser(principal);
    if (!rentalId) throw invalidField('rentalId', 'is required');
    return this.deps.store.transact(async (tx) => {
      const r = await tx.findRental(rentalId);
      if (!r || r.userId !== user.subject) throw notFound('rental', rentalId);
      const next = rental.returnRental(r, this.now());
      if (next === r) return r;
      const saved = await tx.saveRental(next);
      await tx.emit([{ subject: 'billing.rental.returned', rental: saved }]);
      await refreshEntitlement(tx, r.userId, this.deps.clock);
      return saved;
    });
  }

  /** Starts the play window of the user's active rental of the title (first playback only). */
  async startClock(userId: string, movieId: string, at: Date): Promise<RentalRecord | null> {
    return this.deps.store.transact(async (tx) => {
      const now = this.now();
      const r = (await tx.rentalsOf(userId)).find((x) => x.movieId === movieId && rental.effectiveStatus(x, now) === 'active');
      if (!r) return null;
      const next = rental.startClock(r, at, this.windows, now);
      if (!next) return r;
      const saved = await tx.saveRental(next);
      await tx.emit([{ subject: 'billing.rental.started', rental: saved }]);
      await refreshEntitlement(tx, userId, this.deps.clock);
      return saved;
    });
  }

  /** Closes rentals whose time is up and publishes billing.rental.expired for each. */
  async sweep(limit = 200): Promise<number> {
    const now = this.now();
    let n = 0;
    for (const r of await this.deps.store.rentalsEndedBy(now, limit)) {
      const done = await this.deps.store.transact(async (tx) => {
        const fresh = await tx.findRental(r.id);
        const next = fresh && rental.expire(fresh, now);
        if (!next) return false;
        const saved = await tx.saveRental(next);
        await tx.emit([{ subject: 'billing.rental.expired', rental: saved }]);
        await refreshEntitlement(tx, saved.userId, this.deps.clock);
        return true;
      });
      if (done) n++;
    }
    return n;
  }
}
