/** Refunds of a succeeded charge, in full or in part. */
import { invalidRequest } from '../errors.js';
import { formatAmount, stripeId, type ChargeJson, type ListJson, type RefundJson } from '../model.js';
import type { ListParams, RefundCreateParams } from '../schemas.js';
import type { Billing } from '../core/context.js';
import { mergeMetadata, previousAttributes } from '../core/support.js';

export class Refunds {
  constructor(private readonly b: Billing) {}

  create(p: RefundCreateParams): RefundJson {
    const { db } = this.b;
    if (p.charge && p.payment_intent) throw invalidRequest('You may only specify one of these parameters: charge, payment_intent.', 'payment_intent');
    let charge: ChargeJson;
    if (p.charge) charge = db.charges.get(p.charge, 'charge');
    else if (p.payment_intent) {
      const pi = db.paymentIntents.get(p.payment_intent, 'payment_intent');
      if (pi.status !== 'succeeded' || !pi.latest_charge)
        throw invalidRequest(`This PaymentIntent (${pi.id}) does not have a successful charge to refund.`, 'payment_intent', 'charge_not_refundable');
      charge = db.charges.get(pi.latest_charge);
    } else throw invalidRequest('One of the following params should be provided for this request: charge or payment_intent.', 'charge', 'parameter_missing');
    if (charge.status !== 'succeeded') throw invalidRequest(`Charge ${charge.id} has not succeeded and cannot be refunded.`, 'charge', 'charge_not_refundable');
    const left = charge.amount - charge.amount_refunded;
    if (left <= 0) throw invalidRequest(`Charge ${charge.id} has already been refunded.`, 'charge', 'charge_already_refunded');
    const amount = p.amount ?? left;
    if (amount <= 0) throw invalidRequest('Refund amount must be greater than 0.', 'amount');
    if (amount > left)
      throw invalidRequest(`Refund amount (${formatAmount(amount, charge.currency)}) is greater than unrefunded amount on charge (${formatAmount(left, charge.currency)})`, 'amount', 'amount_too_large');
    const pm = db.paymentMethods.find(charge.payment_method);
    const r: RefundJson = {
      id: stripeId('re', 24),
      object: 'refund',
      amount,
      balance_transaction: stripeId('txn', 24),
      charge: charge.id,
      created: this.b.now(),
      currency: charge.currency,
      customer: charge.customer,
      customer_account: null,
      destination_details: { card: { reference_status: 'pending', reference_type: 'acquirer_reference_number', type: 'refund' }, type: 'card' },
      metadata: mergeMetadata({}, p.metadata),
      payment_intent: charge.payment_intent,
      payment_method: pm?.id ?? charge.payment_method,
      reason: p.reason ?? null,
      receipt_number: null,
      source_transfer_reversal: null,
      status: 'succeeded',
      transfer_reversal: null,
    };
    db.refunds.add(r);
    const before = db.render(charge);
    charge.amount_refunded += amount;
    charge.refunded = charge.amount_refunded === charge.amount;
    this.b.events.emit('charge.refunded', charge, previousAttributes(before, charge));
    this.b.events.emit('refund.created', r);
    return db.render(r);
  }

  list(p: ListParams & { charge?: string | null; payment_intent?: string | null }): ListJson<RefundJson> {
    return this.b.db.refunds.list(p, p.charge ? `/v1/charges/${p.charge}/refunds` : '/v1/refunds', {
      where: (x) => (!p.charge || x.charge === p.charge) && (!p.payment_intent || x.payment_intent === p.payment_intent),
    });
  }
}
