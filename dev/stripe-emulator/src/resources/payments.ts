/**
 * Payment methods, payment intents and charges: every payment the emulator takes is a card
 * (4242 works, 0002 is Stripe's decline test card) charged through a payment intent.
 */
import { randomText, stripeId, type ChargeJson, type ListJson, type Metadata, type PaymentIntentJson, type PaymentMethodJson } from '../model.js';
import type { ChargeListParams, ListParams } from '../schemas.js';
import type { Billing } from '../core/context.js';
import { cardDetails } from '../core/support.js';

export class Payments {
  constructor(private readonly b: Billing) {}

  addPaymentMethod(customer: string | null, email: string | null, name: string | null, last4: string): PaymentMethodJson {
    const card = cardDetails(last4);
    const pm: PaymentMethodJson = {
      id: stripeId('pm', 24),
      object: 'payment_method',
      allow_redisplay: 'unspecified',
      billing_details: { address: null, email, name, phone: null, tax_id: null },
      card: { ...card, display_brand: 'visa', networks: { available: ['visa'], preferred: null } },
      created: this.b.now(),
      customer,
      customer_account: null,
      livemode: false,
      metadata: {},
      type: 'card',
    };
    return this.b.db.paymentMethods.add(pm);
  }

  /** A failing payment shows Stripe's decline test card rather than the customer's saved one. */
  cardFor(pm: PaymentMethodJson, fail: boolean): PaymentMethodJson {
    return fail ? { ...pm, card: { ...pm.card, last4: '0002' } } : pm;
  }

  addPaymentIntent(amount: number, currency: string, customer: string | null, description: string | null, metadata: Metadata): PaymentIntentJson {
    const id = stripeId('pi', 24);
    const pi: PaymentIntentJson = {
      id,
      object: 'payment_intent',
      amount,
      amount_capturable: 0,
      amount_details: { tip: {} },
      amount_received: 0,
      application: null,
      application_fee_amount: null,
      automatic_payment_methods: null,
      canceled_at: null,
      cancellation_reason: null,
      capture_method: 'automatic',
      client_secret: `${id}_secret_${randomText(25)}`,
      confirmation_method: 'automatic',
      created: this.b.now(),
      currency,
      customer,
      customer_account: null,
      description,
      excluded_payment_method_types: null,
      last_payment_error: null,
      latest_charge: null,
      livemode: false,
      metadata: { ...metadata },
      next_action: null,
      on_behalf_of: null,
      payment_method: null,
      payment_method_configuration_details: null,
      payment_method_options: { card: { installments: null, mandate_options: null, network: null, request_three_d_secure: 'automatic' } },
      payment_method_types: ['card'],
      processing: null,
      receipt_email: null,
      review: null,
      setup_future_usage: null,
      shipping: null,
      source: null,
      statement_descriptor: null,
      statement_descriptor_suffix: null,
      status: 'requires_payment_method',
      transfer_data: null,
      transfer_group: null,
    };
    return this.b.db.paymentIntents.add(pi);
  }

  /** A charge of the intent's amount on `pm`, declined when `fail`. */
  addCharge(pi: PaymentIntentJson, pm: PaymentMethodJson, fail: boolean): ChargeJson {
    const id = stripeId('ch', 24);
    const customer = pi.customer ? this.b.db.customers.find(pi.customer) : undefined;
    const ch: ChargeJson = {
      id,
      object: 'charge',
      amount: pi.amount,
      amount_captured: fail ? 0 : pi.amount,
      amount_refunded: 0,
      application: null,
      application_fee: null,
      application_fee_amount: null,
      balance_transaction: fail ? null : stripeId('txn', 24),
      billing_details: { address: null, email: customer?.email ?? pm.billing_details.email, name: customer?.name ?? pm.billing_details.name, phone: null, tax_id: null },
      calculated_statement_descriptor: 'FLIX',
      captured: !fail,
      created: this.b.now(),
      currency: pi.currency,
      customer: pi.customer,
      description: pi.description,
      disputed: false,
      failure_balance_transaction: null,
      failure_code: fail ? 'card_declined' : null,
      failure_message: fail ? 'Your card was declined.' : null,
      fraud_details: {},
      livemode: false,
      metadata: { ...pi.metadata },
      on_behalf_of: null,
      outcome: fail
        ? { advice_code: null, network_advice_code: null, network_decline_code: null, network_status: 'declined_by_network', reason: 'generic_decline', risk_level: 'normal', risk_score: 40, seller_message: 'The bank did not return any further details with this decline.', type: 'issuer_declined' }
        : { advice_code: null, network_advice_code: null, network_decline_code: null, network_status: 'approved_by_network', reason: null, risk_level: 'normal', risk_score: 32, seller_message: 'Payment complete.', type: 'authorized' },
      paid: !fail,
      payment_intent: pi.id,
      payment_method: pm.id,
      payment_method_details: { type: 'card', card: { ...cardDetails(fail ? '0002' : pm.card.last4), network: 'visa' } },
      receipt_email: null,
      receipt_number: null,
      receipt_url: `${this.b.opts.publicUrl}/receipts/${id}`,
      refunded: false,
      review: null,
      shipping: null,
      source: null,
      source_transfer: null,
      statement_descriptor: null,
      statement_descriptor_suffix: null,
      status: fail ? 'failed' : 'succeeded',
      transfer_data: null,
      transfer_group: null,
    };
    return this.b.db.charges.add(ch);
  }

  succeed(pi: PaymentIntentJson, charge: ChargeJson, pm: PaymentMethodJson): void {
    pi.status = 'succeeded';
    pi.amount_received = pi.amount;
    pi.latest_charge = charge.id;
    pi.payment_method = pm.id;
    pi.last_payment_error = null;
  }

  /** The card was declined: the intent wants another payment method. */
  fail(pi: PaymentIntentJson, charge: ChargeJson, pm: PaymentMethodJson): void {
    pi.status = 'requires_payment_method';
    pi.latest_charge = charge.id;
    pi.payment_method = null;
    pi.last_payment_error = {
      charge: charge.id,
      code: 'card_declined',
      decline_code: 'generic_decline',
      doc_url: 'https://stripe.com/docs/error-codes/card-declined',
      message: 'Your card was declined.',
      payment_method: { id: pm.id, object: 'payment_method', type: 'card' },
      type: 'card_error',
    };
  }

  listPaymentIntents(p: ListParams & { customer?: string | null }): ListJson<PaymentIntentJson> {
    return this.b.db.paymentIntents.list(p, '/v1/payment_intents', { where: (x) => !p.customer || x.customer === p.customer });
  }

  listCharges(p: ChargeListParams): ListJson<ChargeJson> {
    return this.b.db.charges.list(p, '/v1/charges', { where: (x) => (!p.customer || x.customer === p.customer) && (!p.payment_intent || x.payment_intent === p.payment_intent) });
  }
}
