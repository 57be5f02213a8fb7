import { runWhenMain } from '@flix/config';
import { NotificationsServiceService } from '@flix/proto/flix/notifications/v1/notifications_service';
import { ErasedUsers, grpcService, jwksVerifierRefusingErased, personalDataService, runService } from '@flix/service';
import { readNotificationsConfig } from './config.js';
import { Links } from './domain/links.js';
import { Notifier } from './domain/notifier.js';
import { systemClock, type Clock, type Mailer } from './domain/ports.js';
import { UnsubscribeTokens } from './domain/unsubscribe-token.js';
import { startBillingConsumer, startIdentityConsumer } from './events/consumers.js';
import { notificationsHandlers } from './grpc/handlers.js';
import { unsubscribeRoutes } from './http/unsubscribe-route.js';
import { SmtpMailer } from './mail/smtp-mailer.js';
import { NOTIFICATIONS_INDEXES } from './storage/indexes.js';
import { MongoContactStore, MongoDeliveryStore, MongoReminderStore } from './storage/mongo-stores.js';
import { HandlebarsRenderer } from './templates/render.js';

export interface NotificationsOverrides {
  clock?: Clock;
  /** Tests may wrap the SMTP mailer (to count hand-overs or simulate a crash mid-send). */
  mailer?: (smtp: Mailer) => Mailer;
}

/** The domain of the From address, for Message-IDs. */
const fromDomain = (from: string) => /@([A-Za-z0-9.-]+)>?\s*$/.exec(from)?.[1] ?? 'flix.local';

/** The composition root: the only place notifications' pieces are wired together. */
export function startNotifications(env: Record<string, string | undefined> = process.env, overrides: NotificationsOverrides = {}) {
  return runService({
    name: 'notifications',
    config: readNotificationsConfig(env),
    indexes: NOTIFICATIONS_INDEXES,
    // Notifications publishes no events.
    outbox: false,
    async build({ cfg, logger, mongo, nats, idempotency, client, consumer, every }) {
      // Tombstones of deleted accounts: their late events mail nobody, their tokens are refused.
      const erased = new ErasedUsers(mongo.db);
      await erased.init();
      every('erased accounts refresh', 2_000, () => erased.refresh());
      const contacts = new MongoContactStore(mongo.db, erased);
      const links = new Links(cfg.FLIX_PUBLIC_URL);
      const smtp = client(new SmtpMailer({ url: cfg.FLIX_SMTP_URL, from: cfg.FLIX_MAIL_FROM, timeoutMs: cfg.FLIX_SMTP_TIMEOUT_MS }));
      const notifier = new Notifier({
        contacts,
        deliveries: new MongoDeliveryStore(mongo.db),
        reminders: new MongoReminderStore(mongo.db),
        renderer: new HandlebarsRenderer(links),
        mailer: overrides.mailer ? overrides.mailer(smtp) : smtp,
        clock: overrides.clock ?? systemClock,
        tokens: new UnsubscribeTokens(cfg.FLIX_UNSUBSCRIBE_SECRET),
        links,
        messageIdDomain: cfg.FLIX_MAIL_MESSAGE_ID_DOMAIN ?? fromDomain(cfg.FLIX_MAIL_FROM),
        maxEventAgeMs: cfg.FLIX_MAIL_MAX_EVENT_AGE_HOURS * 3_600_000,
        retry: { baseMs: cfg.FLIX_MAIL_RETRY_BASE_SECONDS * 1000, maxMs: cfg.FLIX_MAIL_RETRY_MAX_SECONDS * 1000, maxAttempts: cfg.FLIX_MAIL_MAX_ATTEMPTS },
        sendLeaseMs: cfg.FLIX_MAIL_SEND_LEASE_SECONDS * 1000,
        rentalReminderLeadMs: cfg.FLIX_RENTAL_REMINDER_LEAD_HOURS * 3_600_000,
      });

      // The delivery worker: sends what is due (new, retried, abandoned mid-send). Runs on its
      // timer and at once when a consumer queued something; PeriodicTask never overlaps runs, so
      // a delivery queued while a round is finishing sets `again` and gets a round of its own.
      let again = false;
      const dispatch = async () => {
        do {
          again = false;
          const r = await notifier.dispatch();
          for (const line of r.results) {
            const level = line.status === 'sent' ? 'info' : 'warn';
            logger[level]({ deliveryId: line.id, template: line.template, status: line.status, attempts: line.attempts, reason: line.reason }, `e-mail ${line.status}`);
          }
        } while (again);
      };
      const worker = cfg.FLIX_MAIL_WORKER ? every('mail delivery', cfg.FLIX_MAIL_DISPATCH_SECONDS * 1000, dispatch) : undefined;
      const queued = () => {
        again = true;
        void worker?.runNow().catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'mail delivery round failed'));
      };
      const reminders = every('rental reminders', cfg.FLIX_REMINDER_POLL_SECONDS * 1000, async () => {
        const n = await notifier.fireDueReminders();
        if (n > 0) {
          logger.info({ queued: n }, 'rental reminders due');
          queued();
        }
      });

      return {
        grpc: [
          grpcService(NotificationsServiceService, notificationsHandlers(notifier), {
            name: 'flix.notifications.v1.NotificationsService',
            publicMethods: ['unsubscribe'],
          }),
          personalDataService('notifications', (userId) => contacts.export(userId)),
        ],
        verifier: jwksVerifierRefusingErased(cfg, erased),
        routes: unsubscribeRoutes(notifier, links, logger),
        async start() {
          const deps = { nats, notifier, links, idempotency, logger, queued };
          consumer(await startIdentityConsumer(deps));
          consumer(await startBillingConsumer(deps));
        },
        summary: { smtp: redactUrl(cfg.FLIX_SMTP_URL), from: cfg.FLIX_MAIL_FROM, publicUrl: cfg.FLIX_PUBLIC_URL },
        handle: {
          notifier,
          /** Runs one delivery round now (the timer does it every FLIX_MAIL_DISPATCH_SECONDS). */
          dispatch: () => notifier.dispatch(),
          /** Turns due rental reminders into deliveries now. */
          fireReminders: () => reminders.runNow(),
        },
      };
    },
  });
}

/** The relay URL without its password, for the start-up line. */
function redactUrl(u: string): string {
  try {
    const url = new URL(u);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return 'smtp://?';
  }
}

export type NotificationsHandle = Awaited<ReturnType<typeof startNotifications>>;

runWhenMain(import.meta.url, () => startNotifications());
