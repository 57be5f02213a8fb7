import type { ClientSession } from 'mongodb';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { defineEvent, on, type EventDef, type Outbox } from '@flix/events';
import type { PaymentFailed, PaymentSucceeded } from '@flix/proto/flix/billing/v1/events';
import { UserRegistered } from '@flix/proto/flix/identity/v1/events';
import {
  analyticsEvents,
  ANALYTICS_STREAM,
  billingEvents,
  BILLING_STREAM,
  catalogEvents,
  CATALOG_STREAM,
  contractWriter,
  engagementEvents,
  ENGAGEMENT_STREAM,
  FLIX_STREAMS,
  handlersOf,
  identityEvents,
  IDENTITY_STREAM,
  playbackEvents,
  PLAYBACK_STREAM,
  producedBy,
  subjectFilter,
  subjectMatches,
  type Contract,
  type ContractEvent,
  type DomainEvent,
  type Encoders,
  type FlixSubject,
  type Payload,
  type SubjectOf,
} from './index.js';

/** Every producing service with its stream and its contract. */
const PRODUCERS: { service: string; stream: string; events: Contract }[] = [
  { service: 'identity', stream: IDENTITY_STREAM, events: identityEvents },
  { service: 'catalog', stream: CATALOG_STREAM, events: catalogEvents },
  { service: 'billing', stream: BILLING_STREAM, events: billingEvents },
  { service: 'playback', stream: PLAYBACK_STREAM, events: playbackEvents },
  { service: 'engagement', stream: ENGAGEMENT_STREAM, events: engagementEvents },
  { service: 'analytics', stream: ANALYTICS_STREAM, events: analyticsEvents },
];

describe('contracts at run time', () => {
  it('every subject falls inside its producer stream, and only there', () => {
    for (const { service, stream, events } of PRODUCERS) {
      const spec = FLIX_STREAMS.find((s) => s.name === stream);
      expect(spec, stream).toBeDefined();
      expect(spec!.subjects).toEqual([`${service}.>`]);
      for (const def of Object.values(events)) {
        const holders = FLIX_STREAMS.filter((s) => s.subjects.some((f) => subjectMatches(f, def.subject)));
        expect(holders.map((s) => s.name), def.subject).toEqual([stream]);
      }
    }
  });

  it('no subject or proto type is declared twice', () => {
    const defs = PRODUCERS.flatMap((p) => Object.values(p.events));
    expect(new Set(defs.map((d) => d.subject)).size).toBe(defs.length);
    expect(new Set(defs.map((d) => d.type)).size).toBe(defs.length);
  });

  it('producedBy refuses a subject outside the service', () => {
    const stray = { userRegistered: defineEvent({ subject: 'identity.user.registered', type: 'flix.identity.v1.UserRegistered', codec: UserRegistered }) };
    // @ts-expect-error an identity subject is not under billing.>
    expect(() => producedBy('billing', stray)).toThrow(/not under 'billing\.>'/);
    expect(producedBy('identity', stray)).toBe(stray);
  });

  it('matches NATS filters as the server does', () => {
    expect(subjectMatches('billing.>', 'billing.payment.failed')).toBe(true);
    expect(subjectMatches('billing.payment.>', 'billing.payment.failed')).toBe(true);
    expect(subjectMatches('billing.*.failed', 'billing.payment.failed')).toBe(true);
    expect(subjectMatches('billing.payment.failed', 'billing.payment.failed')).toBe(true);
    expect(subjectMatches('billing.>', 'billing')).toBe(false);
    expect(subjectMatches('billing.payment', 'billing.payment.failed')).toBe(false);
    expect(subjectMatches('billing.rental.>', 'billing.payment.failed')).toBe(false);
  });

  it('subjectFilter passes a filter that selects declared events and throws for one that selects none', () => {
    expect(subjectFilter(billingEvents, 'billing.subscription.>')).toBe('billing.subscription.>');
    expect(() => subjectFilter(billingEvents, 'identity.>' as never)).toThrow(/selects no declared event/);
  });

  it('handlersOf keys each handler by its own subject and refuses two for one subject', async () => {
    const handle = async () => {};
    const map = handlersOf(on(billingEvents.paymentFailed, handle), on(billingEvents.paymentSucceeded, handle));
    expect(Object.keys(map).sort()).toEqual(['billing.payment.failed', 'billing.payment.succeeded']);
    expect(map['billing.payment.failed']!.event).toBe(billingEvents.paymentFailed);
    expect(() => handlersOf(on(billingEvents.paymentFailed, handle), on(billingEvents.paymentFailed, handle))).toThrow(/two handlers/);
  });

  it('contractWriter enqueues each event under its own definition, encoded by its entry', async () => {
    const enqueued: { def: EventDef<never>; input: unknown }[] = [];
    const outbox = { enqueue: async (_s: ClientSession, def: EventDef<never>, input: unknown) => void enqueued.push({ def, input }) } as unknown as Outbox;
    type Paid = DomainEvent<typeof payments, { paymentSucceeded: { cents: number }; paymentFailed: { cents: number } }>;
    const payments = { paymentSucceeded: billingEvents.paymentSucceeded, paymentFailed: billingEvents.paymentFailed };
    const write = contractWriter<typeof payments, Paid>(outbox, payments, {
      paymentSucceeded: (e) => ({ payment: { amount: { amountMinor: e.cents } } }),
      paymentFailed: (e) => ({ payment: { amount: { amountMinor: -e.cents } } }),
    });
    await write({} as ClientSession, [
      { subject: 'billing.payment.succeeded', cents: 5 },
      { subject: 'billing.payment.failed', cents: 7 },
    ]);
    expect(enqueued).toEqual([
      { def: billingEvents.paymentSucceeded, input: { payment: { amount: { amountMinor: 5 } } } },
      { def: billingEvents.paymentFailed, input: { payment: { amount: { amountMinor: -7 } } } },
    ]);
    // Without encoders the domain events are the contract's own { subject, payload }.
    enqueued.length = 0;
    await contractWriter(outbox, payments)({} as ClientSession, [{ subject: 'billing.payment.failed', payload: { payment: undefined } }]);
    expect(enqueued).toEqual([{ def: billingEvents.paymentFailed, input: { payment: undefined } }]);
  });
});

// The checks below are made by the compiler (`tsc`): each `@ts-expect-error` line must fail to
// compile, or the typecheck fails.
describe('types derived from contracts', () => {
  type Billing = typeof billingEvents;
  type Payments = SubjectOf<Billing, 'paymentSucceeded' | 'paymentFailed'>;

  it('keep each subject as its literal type', () => {
    expectTypeOf(billingEvents.paymentFailed.subject).toEqualTypeOf<'billing.payment.failed'>();
    expectTypeOf<Payments>().toEqualTypeOf<'billing.payment.succeeded' | 'billing.payment.failed'>();
    expectTypeOf<SubjectOf<typeof playbackEvents>>().toEqualTypeOf<
      'playback.session.started' | 'playback.session.ended' | 'playback.title.completed' | 'playback.history.removed'
    >();
    // @ts-expect-error not a billing entry
    type Bounced = SubjectOf<Billing, 'paymentBounced'>;
  });

  it('Payload is the message without the fields the outbox fills', () => {
    expectTypeOf<Payload<Billing['paymentFailed']>>().toEqualTypeOf<Omit<PaymentFailed, 'eventId' | 'occurTime'>>();
    expectTypeOf<Payload<Billing['paymentFailed']>>().not.toHaveProperty('eventId');
  });

  it('ContractEvent accepts only declared subjects, each with its own payload', () => {
    type PaymentEvent = ContractEvent<Billing, 'paymentSucceeded' | 'paymentFailed'>;
    const ok: PaymentEvent = { subject: 'billing.payment.failed', payload: { payment: undefined } };
    expectTypeOf<Extract<PaymentEvent, { subject: 'billing.payment.succeeded' }>['payload']>().toEqualTypeOf<Omit<PaymentSucceeded, 'eventId' | 'occurTime'>>();
    // @ts-expect-error a subject the contract does not declare
    const unknownSubject: PaymentEvent = { subject: 'billing.payment.bounced', payload: { payment: undefined } };
    // @ts-expect-error a payload that is not the subject's message
    const wrongPayload: PaymentEvent = { subject: 'billing.payment.failed', payload: { rental: undefined } };
    // @ts-expect-error the message's fields are all required (proto defaults are the writer's business)
    const missingField: ContractEvent<typeof identityEvents, 'profileDeleted'> = { subject: 'identity.profile.deleted', payload: { userId: 'u' } };
    void [ok, unknownSubject, wrongPayload, missingField];
  });

  it('DomainEvent names every contract entry and no other', () => {
    type Payments2 = { paymentSucceeded: typeof billingEvents.paymentSucceeded; paymentFailed: typeof billingEvents.paymentFailed };
    type Ok = DomainEvent<Payments2, { paymentSucceeded: { cents: number }; paymentFailed: { cents: number } }>;
    expectTypeOf<Ok['subject']>().toEqualTypeOf<Payments>();
    // @ts-expect-error paymentFailed has no shape
    type Missing = DomainEvent<Payments2, { paymentSucceeded: { cents: number } }>;
    // @ts-expect-error paymentBounced is not in the contract
    type Extra = DomainEvent<Payments2, { paymentSucceeded: { cents: number }; paymentFailed: { cents: number }; paymentBounced: { cents: number } }>;
    expectTypeOf<Missing | Extra>().not.toBeNever();
  });

  it('Encoders need one encoder per emitted entry, returning that entry message', () => {
    type Payments2 = { paymentSucceeded: typeof billingEvents.paymentSucceeded; paymentFailed: typeof billingEvents.paymentFailed };
    type Paid = DomainEvent<Payments2, { paymentSucceeded: { cents: number }; paymentFailed: { cents: number } }>;
    const good: Encoders<Payments2, Paid> = { paymentSucceeded: (e) => ({ payment: { amount: { amountMinor: e.cents } } }), paymentFailed: () => ({}) };
    // @ts-expect-error paymentFailed has no encoder
    const missing: Encoders<Payments2, Paid> = { paymentSucceeded: () => ({}) };
    const wrong: Encoders<Payments2, Paid> = {
      paymentSucceeded: () => ({}),
      // @ts-expect-error amountMinor is a number in the message
      paymentFailed: (e) => ({ payment: { amount: { amountMinor: String(e.cents) } } }),
    };
    void [good, missing, wrong];
  });

  it('FlixSubject lets a switch over any stream refuse undeclared cases', () => {
    const kind = (subject: FlixSubject): string => {
      switch (subject) {
        case 'identity.user.registered':
          return 'signup';
        // @ts-expect-error no contract declares identity.user.signed_up
        case 'identity.user.signed_up':
          return 'never';
        default:
          return 'other';
      }
    };
    expect(kind('identity.user.registered')).toBe('signup');
  });

  it('subjectFilter takes only filters over declared subjects', () => {
    expectTypeOf(subjectFilter<Billing>).parameter(1).toEqualTypeOf<
      | 'billing.>'
      | 'billing.subscription.>'
      | 'billing.payment.>'
      | 'billing.rental.>'
      | 'billing.customer.>'
      | 'billing.offer.>'
      | 'billing.webhook.>'
      | SubjectOf<Billing>
    >();
    // @ts-expect-error no billing subject is under billing.subscriptions.>
    expect(() => subjectFilter(billingEvents, 'billing.subscriptions.>')).toThrow();
  });
});
