/** Prices: create (with lookup keys that can move between prices), update, list. */
import { invalidRequest, missingParam } from '../errors.js';
import { stripeId, type ListJson, type PriceJson, type RecurringJson } from '../model.js';
import type { PriceCreateParams, PriceListParams, PriceUpdateParams, RecurringParams } from '../schemas.js';
import type { Billing } from '../core/context.js';
import { mergeMetadata, previousAttributes, validCurrency } from '../core/support.js';

export class Prices {
  constructor(private readonly b: Billing) {}

  /** A new price; `param` names where its data came from (`price_data`), for errors; `active` is the default. */
  add(p: PriceCreateParams & { recurring?: RecurringParams | null }, param: string, active: boolean): PriceJson {
    const at = (k: string): string => (param ? `${param}[${k}]` : k);
    const currency = validCurrency(p.currency, at('currency'));
    if (p.billing_scheme === 'tiered') throw invalidRequest('The emulator supports per_unit prices only.', at('billing_scheme'));
    let unit = p.unit_amount;
    if (unit == null && p.unit_amount_decimal != null) {
      if (!/^\d+$/.test(p.unit_amount_decimal)) throw invalidRequest('The emulator supports whole unit_amount_decimal values only.', at('unit_amount_decimal'));
      unit = Number(p.unit_amount_decimal);
    }
    if (unit == null) throw missingParam(at('unit_amount'));
    if (unit < 0) throw invalidRequest('This value must be greater than or equal to 0.', at('unit_amount'));
    let recurring: RecurringJson | null = null;
    if (p.recurring) {
      if (!p.recurring.interval) throw missingParam(`${at('recurring')}[interval]`);
      const count = p.recurring.interval_count ?? 1;
      const maxCount = { day: 1095, week: 156, month: 36, year: 3 }[p.recurring.interval];
      if (count < 1 || count > maxCount) throw invalidRequest(`Invalid interval_count: must be between 1 and ${maxCount} for ${p.recurring.interval}`, at('recurring') + '[interval_count]');
      recurring = { interval: p.recurring.interval, interval_count: count, meter: null, trial_period_days: null, usage_type: 'licensed' };
    }
    let product: string;
    if (p.product) product = this.b.db.products.get(p.product, at('product')).id;
    else if (p.product_data) product = '';
    else throw missingParam(at('product'));
    if (p.lookup_key) {
      const holder = this.holderOf(p.lookup_key);
      if (holder && !p.transfer_lookup_key)
        throw invalidRequest(`A price (\`${holder.id}\`) already uses that lookup key.`, at('lookup_key'), 'lookup_key_already_exists');
    }
    if (!product) product = this.b.products.add(p.product_data!, at('product_data')).id;
    if (p.lookup_key) {
      // transfer_lookup_key moves the key from the price holding it.
      const holder = this.holderOf(p.lookup_key);
      if (holder) this.dropLookupKey(holder);
    }
    const price: PriceJson = {
      id: stripeId('price', 24),
      object: 'price',
      active: p.active ?? active,
      billing_scheme: 'per_unit',
      created: this.b.now(),
      currency,
      custom_unit_amount: null,
      livemode: false,
      lookup_key: p.lookup_key ?? null,
      metadata: mergeMetadata({}, p.metadata),
      nickname: p.nickname ?? null,
      product,
      recurring,
      tax_behavior: 'unspecified',
      tiers_mode: null,
      transform_quantity: null,
      type: recurring ? 'recurring' : 'one_time',
      unit_amount: unit,
      unit_amount_decimal: String(unit),
    };
    this.b.db.prices.add(price);
    this.b.events.emit('price.created', price);
    return price;
  }

  create(p: PriceCreateParams): PriceJson {
    if (p.product && p.product_data) throw invalidRequest('You may only specify one of these parameters: product, product_data.', 'product_data');
    return this.b.db.render(this.add(p, '', true));
  }

  update(id: string, p: PriceUpdateParams): PriceJson {
    const price = this.b.db.prices.get(id);
    const before = this.b.db.render(price);
    if (p.lookup_key !== undefined && p.lookup_key !== price.lookup_key) {
      const holder = p.lookup_key ? this.holderOf(p.lookup_key) : undefined;
      if (holder && !p.transfer_lookup_key) throw invalidRequest(`A price (\`${holder.id}\`) already uses that lookup key.`, 'lookup_key', 'lookup_key_already_exists');
      if (holder) this.dropLookupKey(holder);
      price.lookup_key = p.lookup_key;
    }
    if (p.active != null) price.active = p.active;
    if (p.nickname !== undefined) price.nickname = p.nickname;
    price.metadata = mergeMetadata(price.metadata, p.metadata);
    this.b.events.emit('price.updated', price, previousAttributes(before, price));
    return this.b.db.render(price);
  }

  list(p: PriceListParams): ListJson<PriceJson> {
    if (p.lookup_keys && p.lookup_keys.length > 10) throw invalidRequest('You may pass at most 10 lookup_keys.', 'lookup_keys');
    return this.b.db.prices.list(p, '/v1/prices', {
      where: (x) =>
        (p.active == null || x.active === p.active) &&
        (!p.currency || x.currency === p.currency.toLowerCase()) &&
        (!p.product || x.product === p.product) &&
        (!p.type || x.type === p.type) &&
        (!p.lookup_keys?.length || (x.lookup_key !== null && p.lookup_keys.includes(x.lookup_key))) &&
        (!p.recurring?.interval || x.recurring?.interval === p.recurring.interval),
    });
  }

  /** The current version of a price a line or item copied (the copy when it is gone). */
  current(price: PriceJson): PriceJson {
    return this.b.db.prices.find(price.id) ?? price;
  }

  private holderOf(lookupKey: string): PriceJson | undefined {
    return this.b.db.prices.first((x) => x.lookup_key === lookupKey);
  }

  private dropLookupKey(holder: PriceJson): void {
    const before = this.b.db.render(holder);
    holder.lookup_key = null;
    this.b.events.emit('price.updated', holder, previousAttributes(before, holder));
  }
}
