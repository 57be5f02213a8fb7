import type { Contact, Delivery, DeliveryFilter, DeliveryStatus, OutgoingMessage, Page, PagePosition, Preferences, RentalReminder, TemplateName } from './model.js';
import type { SendFailure } from './retry.js';

export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

/** What each template needs besides the recipient's name and language. */
export interface TemplateData {
  welcome: Record<string, never>;
  'verify-email': { token: string; expiresAt: Date | null };
  'password-reset': { token: string; expiresAt: Date | null; clientIp: string };
  'password-changed': { method: 'change' | 'reset' | 'unknown'; revokedSessions: number };
  'email-changed': { oldEmail: string; newEmail: string };
  'account-deleted': Record<string, never>;
  receipt: { description: string; amountMinor: number; currency: string; receiptUrl: string; paidAt: Date | null };
  'payment-failed': { description: string; amountMinor: number; currency: string; fixUrl: string };
  'subscription-past-due': { planId: string; graceUntil: Date | null };
  'subscription-canceled': { planId: string; endsAt: Date | null };
  'subscription-ended': { planId: string };
  'rental-started': { movieTitle: string; expiresAt: Date | null };
  'trial-ending': { planId: string; trialEndsAt: Date | null };
  'rental-expiring': { movieTitle: string; expiresAt: Date };
}

export interface RenderInput<T extends TemplateName = TemplateName> {
  template: T;
  data: TemplateData[T];
  recipient: { displayName: string; language: string };
  /** The one-click unsubscribe link for optional categories; absent for transactional mail. */
  unsubscribeUrl?: string | undefined;
}

export interface RenderedMessage {
  subject: string;
  html: string;
  text: string;
}

export interface Renderer {
  render(input: RenderInput): RenderedMessage;
}

/** The SMTP relay. Resolves when it accepted the message; rejects with a classified failure. */
export interface Mailer {
  send(message: OutgoingMessage): Promise<{ accepted: true } | { accepted: false; failure: SendFailure }>;
}

export interface ContactStore {
  get(userId: string): Promise<(Contact & { preferences: Preferences }) | null>;
  /** Creates or updates the copy (only the fields given); never resurrects an erased account. */
  upsert(contact: Partial<Contact> & { userId: string }, at: Date): Promise<void>;
  savePreferences(userId: string, prefs: Preferences): Promise<void>;
  /** Everything about the account goes; a pseudonymous tombstone keeps late events from mailing it. */
  erase(userId: string, at: Date): Promise<void>;
  isErased(userId: string): Promise<boolean>;
  /** Everything held about the account, for its data export. */
  export(userId: string): Promise<Record<string, unknown>>;
}

export interface DeliveryStore {
  exists(id: string): Promise<boolean>;
  /** Inserts a new delivery; false when one with this id exists (a redelivered trigger). */
  insert(d: Delivery): Promise<boolean>;
  /** Claims one pending delivery that is due (pending → sending) and counts the attempt. */
  claimDue(now: Date, leaseUntil: Date): Promise<Delivery | null>;
  /** Claims one delivery whose sender died mid-send (sending, lease passed). */
  claimAbandoned(now: Date, leaseUntil: Date): Promise<Delivery | null>;
  /** Settles or reschedules a claimed delivery; the message is dropped when it is settled. */
  finish(id: string, outcome: DeliveryOutcome): Promise<void>;
  list(filter: DeliveryFilter, size: number, after: PagePosition | undefined): Promise<Page<Delivery>>;
  /** Deletes the account's deliveries (deletion); the goodbye (userId '') is untouched. */
  eraseUser(userId: string): Promise<number>;
  /** Suppresses a delivery not sent yet (a reminder whose rental ended first). */
  suppressIfPending(id: string, reason: string, at: Date): Promise<boolean>;
}

export type DeliveryOutcome =
  | { status: Extract<DeliveryStatus, 'sent'>; at: Date; note?: string }
  | { status: Extract<DeliveryStatus, 'failed' | 'bounced'>; at: Date; error: string }
  | { status: Extract<DeliveryStatus, 'pending'>; at: Date; error: string; nextAttemptAt: Date };

export interface ReminderStore {
  /** Schedules or moves the reminder (a fired or canceled one stays as it is). */
  schedule(r: RentalReminder): Promise<void>;
  cancel(id: string): Promise<boolean>;
  due(now: Date, limit: number): Promise<RentalReminder[]>;
  markFired(id: string): Promise<void>;
  /** Deletes every reminder of the account (deletion). */
  cancelForUser(userId: string): Promise<void>;
}
