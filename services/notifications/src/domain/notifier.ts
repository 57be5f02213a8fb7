import { createHash } from 'node:crypto';
import { DomainError } from '@flix/errors';
import { requireAdmin, requireUser, type Principal } from '@flix/auth';
import type { Links } from './links.js';
import {
  categoryOf,
  DEFAULT_PREFERENCES,
  isOptionalCategory,
  type Delivery,
  type DeliveryFilter,
  type Page,
  type PagePosition,
  type Preferences,
  type TemplateName,
} from './model.js';
import type { Clock, ContactStore, DeliveryStore, Mailer, ReminderStore, Renderer, TemplateData } from './ports.js';
import { allows, applyPreferences, withoutCategory, type PreferencesPatch } from './preferences.js';
import { backoffMs } from './retry.js';
import type { UnsubscribeTokens } from './unsubscribe-token.js';

/** Thrown when a message cannot be addressed yet (our copy of the account has not arrived): retried. */
export class AddressUnknownError extends Error {
  override readonly name = 'AddressUnknownError';
}

export interface NotifierOptions {
  contacts: ContactStore;
  deliveries: DeliveryStore;
  reminders: ReminderStore;
  renderer: Renderer;
  mailer: Mailer;
  clock: Clock;
  tokens: UnsubscribeTokens;
  links: Links;
  /** The domain of Message-IDs (`<hash@domain>`). */
  messageIdDomain: string;
  /** Events older than this update our copies but send nothing (a new consumer replaying the stream). */
  maxEventAgeMs: number;
  retry: { baseMs: number; maxMs: number; maxAttempts: number };
  /** How long a claimed delivery may take before another worker assumes its sender died. */
  sendLeaseMs: number;
  /** How long before a rental's expiry its reminder goes. */
  rentalReminderLeadMs: number;
}

/** What to send, for which trigger. */
export interface NotifyRequest<T extends TemplateName = TemplateName> {
  /** The event id (or reminder id): with the template, the delivery's unique key. */
  triggerId: string;
  /** The event subject, or 'reminder'. */
  trigger: string;
  occurredAt: Date;
  template: T;
  data: TemplateData[T];
  /** '' for the goodbye after a deletion: the log must not name the erased account. */
  userId: string;
  /** The address when the event carries it (it is authoritative there); else our copy's. */
  to?: string | undefined;
  displayName?: string | undefined;
  language?: string | undefined;
  /** Forget the recipient once the delivery is settled. */
  eraseWhenSettled?: boolean;
}

export type NotifyOutcome = 'queued' | 'duplicate' | 'stale' | 'suppressed' | 'erased';

export interface DispatchReport {
  sent: number;
  retrying: number;
  failed: number;
  bounced: number;
  /** One line per settled or rescheduled delivery, for the log (no message, no link, no token). */
  results: { id: string; template: string; status: string; attempts: number; reason?: string }[];
}

/**
 * The use cases: decide what to send for a trigger (once per trigger and template), send what is
 * due with retries, preferences and unsubscribe, the admin's delivery log, and erasure.
 */
export class Notifier {
  constructor(private readonly o: NotifierOptions) {}

  private now() {
    return this.o.clock.now();
  }

  // ------------------------------------------------------------------ copies of account data

  /** Keeps our copy current; a late event about an erased account brings nothing back. */
  async rememberContact(c: { userId: string; email?: string; displayName?: string; language?: string }, at: Date): Promise<'saved' | 'erased'> {
    if (await this.o.contacts.isErased(c.userId)) return 'erased';
    await this.o.contacts.upsert(c, at);
    return 'saved';
  }

  /**
   * identity.user.deleted: the goodbye goes to the address in the event (our copy goes now), and
   * then nothing about the account remains: contact copy, preferences, reminders and its delivery
   * log entries are deleted, the goodbye's own entry forgets the address once it is settled, and a
   * keyed hash (not the id) remembers that the account is gone so a late event mails nobody.
   */
  async eraseAccount(e: { eventId: string; occurredAt: Date; userId: string; email: string; displayName: string }): Promise<NotifyOutcome | 'no address'> {
    let outcome: NotifyOutcome | 'no address' = 'no address';
    if (e.email) {
      outcome = await this.notify({
        triggerId: e.eventId,
        trigger: 'identity.user.deleted',
        occurredAt: e.occurredAt,
        template: 'account-deleted',
        data: {},
        userId: '',
        to: e.email,
        displayName: e.displayName,
        eraseWhenSettled: true,
      });
    }
    await this.o.deliveries.eraseUser(e.userId);
    await this.o.reminders.cancelForUser(e.userId);
    await this.o.contacts.erase(e.userId, this.now());
    return outcome;
  }

  // ------------------------------------------------------------------ deciding what to send

  /**
   * Records one message to send. Exactly once per (trigger id, template): the delivery's id is
   * that pair and the log's unique key, so a redelivered event finds it and does nothing.
   */
  async notify<T extends TemplateName>(req: NotifyRequest<T>): Promise<NotifyOutcome> {
    const id = `${req.triggerId}:${req.template}`;
    const now = this.now();
    if (now.getTime() - req.occurredAt.getTime() > this.o.maxEventAgeMs) return 'stale';
    if (await this.o.deliveries.exists(id)) return 'duplicate';

    const contact = req.userId ? await this.o.contacts.get(req.userId) : null;
    if (req.userId && !contact && (await this.o.contacts.isErased(req.userId))) return 'erased';
    const to = req.to || contact?.email || '';
    if (!to) throw new AddressUnknownError(`no address known for account ${req.userId} yet`);
    const prefs = contact?.preferences ?? DEFAULT_PREFERENCES;
    const category = categoryOf(req.template);
    const messageId = `<${createHash('sha256').update(id).digest('hex').slice(0, 40)}@${this.o.messageIdDomain}>`;
    const base: Delivery = {
      id,
      userId: req.userId,
      template: req.template,
      category,
      trigger: req.trigger,
      status: 'pending',
      to,
      subject: '',
      messageId,
      attempts: 0,
      uncertainResends: 0,
      lastError: '',
      eraseWhenSettled: req.eraseWhenSettled ?? false,
      createdAt: now,
      updatedAt: now,
      nextAttemptAt: now,
      leaseUntil: null,
      sentAt: null,
    };
    if (!allows(prefs, category)) {
      const inserted = await this.o.deliveries.insert({ ...base, status: 'suppressed', nextAttemptAt: null, lastError: `the person turned ${category} off` });
      return inserted ? 'suppressed' : 'duplicate';
    }
    const unsubscribeToken = isOptionalCategory(category) && req.userId ? this.o.tokens.issue(req.userId, category) : undefined;
    const rendered = this.o.renderer.render({
      template: req.template,
      data: req.data,
      recipient: { displayName: req.displayName || contact?.displayName || '', language: req.language || contact?.language || 'en' },
      unsubscribeUrl: unsubscribeToken && this.o.links.unsubscribePage(unsubscribeToken),
    });
    const headers: Record<string, string> = {};
    if (unsubscribeToken) {
      // RFC 8058: a mail client may offer "unsubscribe" and POST List-Unsubscribe=One-Click here.
      headers['List-Unsubscribe'] = `<${this.o.links.oneClickUnsubscribe(unsubscribeToken)}>`;
      headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
    }
    const inserted = await this.o.deliveries.insert({
      ...base,
      subject: rendered.subject,
      message: { to, subject: rendered.subject, html: rendered.html, text: rendered.text, headers, messageId },
    });
    return inserted ? 'queued' : 'duplicate';
  }

  // ------------------------------------------------------------------ sending

  /**
   * Sends what is due, one delivery at a time per worker, up to `limit`.
   *
   * SMTP gives at-least-once at best: the relay may have accepted a message when the connection
   * (or this process) dies before its "250 OK" is read and recorded. A delivery is therefore
   * claimed (pending → sending, with a lease) before it is handed over, and settled after. A
   * claim whose lease ran out means its sender died with the outcome unknown: it is handed over
   * again at most once (recorded as such), with the same Message-ID, which the relay or the
   * recipient's mail store can use to drop the duplicate; if that also dies, it is marked failed
   * rather than risking a third copy. Everything else is sent exactly once.
   */
  async dispatch(limit = 50): Promise<DispatchReport> {
    const report: DispatchReport = { sent: 0, retrying: 0, failed: 0, bounced: 0, results: [] };
    for (let i = 0; i < limit; i++) {
      const now = this.now();
      const lease = new Date(now.getTime() + this.o.sendLeaseMs);
      const abandoned = await this.o.deliveries.claimAbandoned(now, lease);
      const d = abandoned ?? (await this.o.deliveries.claimDue(now, lease));
      if (!d) break;
      await this.sendOne(d, abandoned !== null, report);
    }
    return report;
  }

  private async sendOne(d: Delivery, uncertain: boolean, report: DispatchReport): Promise<void> {
    const done = (status: string, reason?: string): void => void report.results.push({ id: d.id, template: d.template, status, attempts: d.attempts, ...(reason ? { reason } : {}) });
    if (uncertain && d.uncertainResends > 1) {
      const error = 'outcome unknown: the sender stopped while handing it to the relay, twice; not sent again';
      await this.o.deliveries.finish(d.id, { status: 'failed', at: this.now(), error });
      report.failed++;
      return done('failed', error);
    }
    if (!d.message) {
      await this.o.deliveries.finish(d.id, { status: 'failed', at: this.now(), error: 'the message is gone (settled elsewhere)' });
      report.failed++;
      return done('failed', 'no message');
    }
    const result = await this.o.mailer.send(d.message);
    const at = this.now();
    if (result.accepted) {
      const note = uncertain ? 'resent once: an earlier hand-over ended with the outcome unknown' : undefined;
      await this.o.deliveries.finish(d.id, { status: 'sent', at, ...(note ? { note } : {}) });
      report.sent++;
      return done('sent', note);
    }
    const { failure } = result;
    if (failure.kind === 'permanent') {
      await this.o.deliveries.finish(d.id, { status: 'bounced', at, error: failure.reason });
      report.bounced++;
      return done('bounced', failure.reason);
    }
    if (d.attempts >= this.o.retry.maxAttempts) {
      const error = `gave up after ${d.attempts} attempts: ${failure.reason}`;
      await this.o.deliveries.finish(d.id, { status: 'failed', at, error });
      report.failed++;
      return done('failed', error);
    }
    const nextAttemptAt = new Date(at.getTime() + backoffMs(d.attempts, this.o.retry.baseMs, this.o.retry.maxMs));
    await this.o.deliveries.finish(d.id, { status: 'pending', at, error: failure.reason, nextAttemptAt });
    report.retrying++;
    done('retrying', failure.reason);
  }

  // ------------------------------------------------------------------ rental reminders

  /** A rental became playable, or its clock started: (re)schedule its "expires soon" reminder. */
  async scheduleRentalReminder(r: { rentalId: string; userId: string; movieTitle: string; expiresAt: Date | null }): Promise<void> {
    if (!r.expiresAt) return;
    await this.o.reminders.schedule({
      id: `rental:${r.rentalId}`,
      userId: r.userId,
      rentalId: r.rentalId,
      movieTitle: r.movieTitle,
      expiresAt: r.expiresAt,
      dueAt: new Date(r.expiresAt.getTime() - this.o.rentalReminderLeadMs),
      status: 'scheduled',
    });
  }

  /** Returned or expired: no reminder any more (and one not sent yet is suppressed). */
  async cancelRentalReminder(rentalId: string): Promise<void> {
    const id = `rental:${rentalId}`;
    await this.o.reminders.cancel(id);
    await this.o.deliveries.suppressIfPending(`${id}:rental-expiring`, 'the rental ended before the reminder went', this.now());
  }

  /** Turns due reminders into deliveries (the timer calls it). Idempotent: enqueue first, then mark. */
  async fireDueReminders(limit = 100): Promise<number> {
    const now = this.now();
    let queued = 0;
    for (const r of await this.o.reminders.due(now, limit)) {
      if (r.expiresAt.getTime() > now.getTime()) {
        const outcome = await this.notify({
          triggerId: r.id,
          trigger: 'reminder',
          // A reminder is news when it is due, however old the rental.
          occurredAt: now,
          template: 'rental-expiring',
          data: { movieTitle: r.movieTitle, expiresAt: r.expiresAt },
          userId: r.userId,
        }).catch((err: unknown) => (err instanceof AddressUnknownError ? 'erased' : Promise.reject(err)));
        if (outcome === 'queued') queued++;
      }
      await this.o.reminders.markFired(r.id);
    }
    return queued;
  }

  // ------------------------------------------------------------------ preferences

  async getPreferences(principal: Principal | undefined): Promise<Preferences> {
    const who = requireUser(principal);
    return (await this.o.contacts.get(who.subject))?.preferences ?? DEFAULT_PREFERENCES;
  }

  async updatePreferences(principal: Principal | undefined, patch: PreferencesPatch, mask: readonly string[]): Promise<Preferences> {
    const who = requireUser(principal);
    const current = (await this.o.contacts.get(who.subject))?.preferences ?? DEFAULT_PREFERENCES;
    const next = applyPreferences(current, patch, mask, this.now());
    await this.o.contacts.savePreferences(who.subject, next);
    return next;
  }

  /** One-click unsubscribe: the signed token is the authority, no sign-in. Idempotent. */
  async unsubscribe(token: string): Promise<{ category: string }> {
    const { userId, category } = this.o.tokens.verify(token);
    // An erased account stays erased: the link in an old e-mail must not bring a record back.
    if (await this.o.contacts.isErased(userId)) return { category };
    const current = (await this.o.contacts.get(userId))?.preferences ?? DEFAULT_PREFERENCES;
    await this.o.contacts.savePreferences(userId, withoutCategory(current, category, this.now()));
    return { category };
  }

  // ------------------------------------------------------------------ operators

  async listDeliveries(principal: Principal | undefined, filter: DeliveryFilter, size: number, after: PagePosition | undefined): Promise<Page<Delivery>> {
    requireAdmin(principal);
    if (filter.template !== undefined && filter.template !== '' && !/^[a-z-]{1,40}$/.test(filter.template))
      throw new DomainError('invalid_argument', 'INVALID_ARGUMENT', 'template: not a template name (e.g. password-reset)', [{ field: 'template', description: 'not a template name (e.g. password-reset)' }]);
    return this.o.deliveries.list(filter, size, after);
  }
}

