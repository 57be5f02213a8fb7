/**
 * Notifications' records and value types. What is sent is decided by the trigger (an event or a
 * scheduled reminder) and the template; each (trigger id, template) pair is one delivery.
 */

/** Categories a person may turn off. Everything else is transactional and always goes. */
export const OPTIONAL_CATEGORIES = ['reminders', 'product_news'] as const;
export type OptionalCategory = (typeof OPTIONAL_CATEGORIES)[number];

/** Categories that always go: they are part of using the account, not marketing. */
export const TRANSACTIONAL_CATEGORIES = ['account', 'security', 'billing'] as const;
export type TransactionalCategory = (typeof TRANSACTIONAL_CATEGORIES)[number];

export type Category = OptionalCategory | TransactionalCategory;

export const isOptionalCategory = (c: string): c is OptionalCategory => (OPTIONAL_CATEGORIES as readonly string[]).includes(c);

/** Every e-mail Flix sends, by template name. */
export const TEMPLATES = {
  welcome: 'account',
  'verify-email': 'account',
  'password-reset': 'security',
  'password-changed': 'security',
  'email-changed': 'security',
  'account-deleted': 'account',
  receipt: 'billing',
  'payment-failed': 'billing',
  'subscription-past-due': 'billing',
  'subscription-canceled': 'billing',
  'subscription-ended': 'billing',
  'rental-started': 'billing',
  'trial-ending': 'reminders',
  'rental-expiring': 'reminders',
} as const satisfies Record<string, Category>;

export type TemplateName = keyof typeof TEMPLATES;

export const categoryOf = (t: TemplateName): Category => TEMPLATES[t];

/** Our copy of what identity told us about an account (we never ask identity for it). */
export interface Contact {
  userId: string;
  email: string;
  displayName: string;
  language: string;
}

export interface Preferences {
  reminders: boolean;
  productNews: boolean;
  updatedAt: Date | null;
}

export const DEFAULT_PREFERENCES: Preferences = { reminders: true, productNews: true, updatedAt: null };

export type DeliveryStatus = 'pending' | 'sending' | 'sent' | 'failed' | 'bounced' | 'suppressed';

/** The message as handed to the relay. Dropped from the log once the delivery is settled. */
export interface OutgoingMessage {
  to: string;
  subject: string;
  html: string;
  text: string;
  /** Extra headers (List-Unsubscribe, List-Unsubscribe-Post). */
  headers: Record<string, string>;
  messageId: string;
}

export interface Delivery {
  /** `<trigger id>:<template>`: the unique key that makes each message render and send once. */
  id: string;
  /** '' for the goodbye mail after an account deletion (the log keeps nothing that names them). */
  userId: string;
  template: TemplateName;
  category: Category;
  /** The event subject, or 'reminder'. */
  trigger: string;
  status: DeliveryStatus;
  /** The recipient; dropped with the message once an erased account's goodbye is settled. */
  to: string;
  subject: string;
  messageId: string;
  /** Present while the delivery is not settled. */
  message?: OutgoingMessage | undefined;
  attempts: number;
  /** Times it was handed to the relay again because an earlier hand-over's outcome is unknown (a crash). */
  uncertainResends: number;
  lastError: string;
  /** Forget the recipient once settled (the account no longer exists). */
  eraseWhenSettled: boolean;
  createdAt: Date;
  updatedAt: Date;
  nextAttemptAt: Date | null;
  /** While 'sending': when another worker may assume this one died. */
  leaseUntil: Date | null;
  sentAt: Date | null;
}

export interface DeliveryFilter {
  userId?: string | undefined;
  status?: DeliveryStatus | undefined;
  template?: string | undefined;
}

export interface PagePosition {
  t: number;
  id: string;
}

export interface Page<T> {
  items: T[];
  next: PagePosition | null;
}

/** A scheduled "your rental expires soon" reminder. */
export interface RentalReminder {
  id: string;
  userId: string;
  rentalId: string;
  movieTitle: string;
  expiresAt: Date;
  dueAt: Date;
  status: 'scheduled' | 'fired' | 'canceled';
}
