import { bool, loadConfig, serviceConfigShape, url, z } from '@flix/config';

/** Everything notifications reads from the environment, validated once at start. */
export function readNotificationsConfig(env: Record<string, string | undefined> = process.env) {
  return loadConfig(
    {
      ...serviceConfigShape({ database: 'notifications', grpcPort: 50058, httpPort: 8100 }),
      /** The web app's origin (the gateway's): every link in an e-mail points there. */
      FLIX_PUBLIC_URL: url('http://127.0.0.1:8080'),
      /**
       * The SMTP relay, in nodemailer's URL form: smtp://host:587 (STARTTLS when offered),
       * smtps://user:password@host:465, smtp://user:password@host:587?requireTLS=true. The
       * embedded default is the dev stack's mail catcher (maildev).
       */
      FLIX_SMTP_URL: z.string().regex(/^smtps?:\/\/[^\s]+$/, 'must be an smtp:// or smtps:// URL').default('smtp://127.0.0.1:1025'),
      /** The From header of every e-mail. */
      FLIX_MAIL_FROM: z.string().min(3).default('Flix <no-reply@flix.local>'),
      /** The domain of Message-IDs (default: the From address's). */
      FLIX_MAIL_MESSAGE_ID_DOMAIN: z.string().regex(/^[A-Za-z0-9.-]+$/, 'must be a domain name').optional(),
      /** Signs one-click unsubscribe links (HMAC-SHA256); at least 32 characters. Changing it breaks links already sent. */
      FLIX_UNSUBSCRIBE_SECRET: z.string().min(32, 'must be at least 32 characters'),
      /** SMTP connection, greeting and socket timeouts. */
      FLIX_SMTP_TIMEOUT_MS: z.coerce.number().int().min(500).max(120_000).default(15_000),
      /** Attempts before a delivery that keeps failing transiently (4xx, relay down) is given up as failed. */
      FLIX_MAIL_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(12),
      /** The first retry's delay; it doubles each attempt up to FLIX_MAIL_RETRY_MAX_SECONDS (12 attempts ≈ 7 h). */
      FLIX_MAIL_RETRY_BASE_SECONDS: z.coerce.number().min(0.05).max(3600).default(30),
      FLIX_MAIL_RETRY_MAX_SECONDS: z.coerce.number().min(0.05).max(86_400).default(3600),
      /** How long a delivery being sent is held before another worker takes it as abandoned (longer than the SMTP timeouts). */
      FLIX_MAIL_SEND_LEASE_SECONDS: z.coerce.number().min(1).max(3600).default(120),
      /** How often the delivery worker looks for due and retried deliveries (new ones are sent at once). */
      FLIX_MAIL_DISPATCH_SECONDS: z.coerce.number().min(0.05).max(600).default(5),
      /** Events older than this update the account copies but send nothing (a consumer replaying history). */
      FLIX_MAIL_MAX_EVENT_AGE_HOURS: z.coerce.number().min(0.01).max(24 * 30).default(48),
      /** How long before a rental expires its reminder goes. */
      FLIX_RENTAL_REMINDER_LEAD_HOURS: z.coerce.number().min(0).max(72).default(6),
      /** How often due reminders are looked for. */
      FLIX_REMINDER_POLL_SECONDS: z.coerce.number().min(0.05).max(3600).default(60),
      /** Run the delivery worker in this process (off for a consumer-only replica). */
      FLIX_MAIL_WORKER: bool(true),
    },
    env,
  );
}

export type NotificationsConfig = ReturnType<typeof readNotificationsConfig>;
