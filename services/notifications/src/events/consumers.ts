import { billingEvents, BILLING_STREAM, handlersOf, identityEvents, IDENTITY_STREAM, subjectFilter } from '@flix/contracts';
import { on, PoisonMessageError, startConsumer, type ConsumerHandle, type HandlerContext, type IdempotencyStore, type NatsClients } from '@flix/events';
import type { Logger } from '@flix/logging';
import { PasswordChangeMethod } from '@flix/proto/flix/identity/v1/events';
import type { Payment, Rental, Subscription } from '@flix/proto/flix/billing/v1/resources';
import type { Links } from '../domain/links.js';
import type { TemplateName } from '../domain/model.js';
import type { Notifier, NotifyOutcome, NotifyRequest } from '../domain/notifier.js';

export interface ConsumerDeps {
  nats: NatsClients;
  notifier: Notifier;
  links: Links;
  idempotency: IdempotencyStore;
  logger: Logger;
  /** Called after a delivery was queued, so it goes now rather than at the worker's next round. */
  queued: () => void;
}

const DURABLE = 'notifications';

interface EventBase {
  eventId: string;
  occurTime?: Date | undefined;
}

/** Queues one message and logs what became of it (never the message, its links or tokens). */
async function send<T extends TemplateName>(d: ConsumerDeps, ctx: HandlerContext, e: EventBase, req: Omit<NotifyRequest<T>, 'triggerId' | 'trigger' | 'occurredAt'>): Promise<NotifyOutcome> {
  const outcome = await d.notifier.notify({ ...req, triggerId: e.eventId, trigger: ctx.subject, occurredAt: e.occurTime ?? new Date(0) } as NotifyRequest<T>);
  ctx.logger.info({ template: req.template, userId: req.userId || undefined, outcome }, 'notification decided');
  if (outcome === 'queued') d.queued();
  return outcome;
}

const need = (value: string | undefined, what: string, subject: string) => {
  if (!value) throw new PoisonMessageError(`${subject} without ${what}`);
  return value;
};

/**
 * Account events (durable 'notifications' on IDENTITY, user events only): our copy of each
 * address, name and language, and the account e-mails. Tokens arrive in the *_requested events
 * and leave only inside the e-mail: they are never logged or stored outside the pending message.
 */
export function startIdentityConsumer(d: ConsumerDeps): Promise<ConsumerHandle> {
  const at = (e: EventBase) => e.occurTime ?? new Date(0);
  return startConsumer({
    js: d.nats.js,
    jsm: d.nats.jsm,
    stream: IDENTITY_STREAM,
    durable: DURABLE,
    filterSubject: subjectFilter(identityEvents, 'identity.user.>'),
    idempotency: d.idempotency,
    logger: d.logger,
    handlers: handlersOf(
      on(identityEvents.userRegistered, async (e, ctx) => {
        const userId = need(e.userId, 'a user id', ctx.subject);
        await d.notifier.rememberContact({ userId, email: e.email, displayName: e.displayName, language: e.preferredLanguage || 'en' }, at(e));
        await send(d, ctx, e, { template: 'welcome', data: {}, userId, to: e.email, displayName: e.displayName, language: e.preferredLanguage });
      }),
      on(identityEvents.userUpdated, async (e, ctx) => {
        const userId = need(e.userId, 'a user id', ctx.subject);
        await d.notifier.rememberContact({ userId, displayName: e.displayName, ...(e.preferredLanguage ? { language: e.preferredLanguage } : {}) }, at(e));
      }),
      on(identityEvents.emailVerificationRequested, async (e, ctx) => {
        const userId = need(e.userId, 'a user id', ctx.subject);
        await send(d, ctx, e, {
          template: 'verify-email',
          data: { token: need(e.token, 'a token', ctx.subject), expiresAt: e.expireTime ?? null },
          userId,
          to: e.email,
          displayName: e.displayName,
          language: e.preferredLanguage,
        });
      }),
      on(identityEvents.passwordResetRequested, async (e, ctx) => {
        const userId = need(e.userId, 'a user id', ctx.subject);
        await send(d, ctx, e, {
          template: 'password-reset',
          data: { token: need(e.token, 'a token', ctx.subject), expiresAt: e.expireTime ?? null, clientIp: e.clientIp },
          userId,
          to: e.email,
          displayName: e.displayName,
          language: e.preferredLanguage,
        });
      }),
      on(identityEvents.passwordChanged, async (e, ctx) => {
        const userId = need(e.userId, 'a user id', ctx.subject);
        const method = e.method === PasswordChangeMethod.PASSWORD_CHANGE_METHOD_RESET ? 'reset' : e.method === PasswordChangeMethod.PASSWORD_CHANGE_METHOD_CHANGE ? 'change' : 'unknown';
        await send(d, ctx, e, { template: 'password-changed', data: { method, revokedSessions: e.revokedSessions }, userId, to: e.email || undefined });
      }),
      on(identityEvents.emailChanged, async (e, ctx) => {
        const userId = need(e.userId, 'a user id', ctx.subject);
        // The notice goes to the OLD address: if someone took the account over, its owner learns it there.
        if (e.oldEmail) await send(d, ctx, e, { template: 'email-changed', data: { oldEmail: e.oldEmail, newEmail: e.newEmail }, userId, to: e.oldEmail });
        await d.notifier.rememberContact({ userId, email: e.newEmail }, at(e));
      }),
      on(identityEvents.userDeleted, async (e, ctx) => {
        const userId = need(e.userId, 'a user id', ctx.subject);
        const outcome = await d.notifier.eraseAccount({ eventId: e.eventId, occurredAt: at(e), userId, email: e.email, displayName: e.displayName });
        if (outcome === 'queued') d.queued();
        ctx.logger.info({ outcome }, 'account erased from notifications; goodbye decided');
      }),
    ),
  });
}

const subscriptionOf = (e: { subscription?: Subscription | undefined }, subject: string): Subscription & { userId: string } => {
  const s = e.subscription;
  if (!s?.userId) throw new PoisonMessageError(`${subject} without a subscription or its user`);
  return s;
};
const paymentOf = (e: { payment?: Payment | undefined }, subject: string): Payment => {
  const p = e.payment;
  if (!p?.userId) throw new PoisonMessageError(`${subject} without a payment or its user`);
  return p;
};
const rentalOf = (e: { rental?: Rental | undefined }, subject: string): Rental => {
  const r = e.rental;
  if (!r?.userId || !r.id) throw new PoisonMessageError(`${subject} without a rental or its user`);
  return r;
};

/** The earlier of the rental's two limits: the 30-day window and the 48 h after the first play. */
const rentalExpiry = (r: Rental): Date | null => {
  const limits = [r.expireTime, r.playExpireTime].filter((x): x is Date => x instanceof Date && x.getTime() > 0);
  return limits.length ? new Date(Math.min(...limits.map((x) => x.getTime()))) : null;
};

/**
 * Billing events (durable 'notifications' on BILLING): receipts, payment problems, subscription
 * changes, rentals and their reminders. (One filter per consumer on nats-server 2.9, so the whole
 * stream is read; subjects without a handler — offers, customers, webhooks — are acked unread.)
 */
export function startBillingConsumer(d: ConsumerDeps): Promise<ConsumerHandle> {
  return startConsumer({
    js: d.nats.js,
    jsm: d.nats.jsm,
    stream: BILLING_STREAM,
    durable: DURABLE,
    filterSubject: subjectFilter(billingEvents, 'billing.>'),
    idempotency: d.idempotency,
    logger: d.logger,
    handlers: handlersOf(
      on(billingEvents.paymentSucceeded, async (e, ctx) => {
        const p = paymentOf(e, ctx.subject);
        await send(d, ctx, e, {
          template: 'receipt',
          data: { description: p.description || 'Flix', amountMinor: p.amount?.amountMinor ?? 0, currency: p.amount?.currency || 'USD', receiptUrl: p.receiptUrl, paidAt: p.updateTime ?? e.occurTime ?? null },
          userId: p.userId,
        });
      }),
      on(billingEvents.paymentFailed, async (e, ctx) => {
        const p = paymentOf(e, ctx.subject);
        // For an invoice, billing's receipt_url is Stripe's hosted invoice page, where the person
        // can pay with another card; without one, the account page.
        await send(d, ctx, e, {
          template: 'payment-failed',
          data: { description: p.description || 'Flix', amountMinor: p.amount?.amountMinor ?? 0, currency: p.amount?.currency || 'USD', fixUrl: p.receiptUrl || d.links.account() },
          userId: p.userId,
        });
      }),
      on(billingEvents.subscriptionPastDue, async (e, ctx) => {
        const s = subscriptionOf(e, ctx.subject);
        await send(d, ctx, e, { template: 'subscription-past-due', data: { planId: s.planId, graceUntil: s.graceUntil ?? null }, userId: s.userId });
      }),
      on(billingEvents.subscriptionTrialWillEnd, async (e, ctx) => {
        const s = subscriptionOf(e, ctx.subject);
        await send(d, ctx, e, { template: 'trial-ending', data: { planId: s.planId, trialEndsAt: s.trialEnd ?? null }, userId: s.userId });
      }),
      on(billingEvents.subscriptionCanceled, async (e, ctx) => {
        const s = subscriptionOf(e, ctx.subject);
        await send(d, ctx, e, { template: 'subscription-canceled', data: { planId: s.planId, endsAt: s.currentPeriodEnd ?? null }, userId: s.userId });
      }),
      on(billingEvents.subscriptionExpired, async (e, ctx) => {
        const s = subscriptionOf(e, ctx.subject);
        await send(d, ctx, e, { template: 'subscription-ended', data: { planId: s.planId }, userId: s.userId });
      }),
      on(billingEvents.rentalActivated, async (e, ctx) => {
        const r = rentalOf(e, ctx.subject);
        const expiresAt = rentalExpiry(r);
        await d.notifier.scheduleRentalReminder({ rentalId: r.id, userId: r.userId, movieTitle: r.movieTitle, expiresAt });
        await send(d, ctx, e, { template: 'rental-started', data: { movieTitle: r.movieTitle || 'Your title', expiresAt }, userId: r.userId });
      }),
      on(billingEvents.rentalStarted, async (e, ctx) => {
        // The first play starts the 48-hour clock: the reminder moves to the new, earlier expiry.
        const r = rentalOf(e, ctx.subject);
        await d.notifier.scheduleRentalReminder({ rentalId: r.id, userId: r.userId, movieTitle: r.movieTitle, expiresAt: rentalExpiry(r) });
      }),
      on(billingEvents.rentalReturned, async (e, ctx) => {
        await d.notifier.cancelRentalReminder(rentalOf(e, ctx.subject).id);
      }),
      on(billingEvents.rentalExpired, async (e, ctx) => {
        await d.notifier.cancelRentalReminder(rentalOf(e, ctx.subject).id);
      }),
    ),
  });
}
