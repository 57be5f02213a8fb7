/** Products: create (with an optional default price), update, list. */
import { invalidRequest, missingParam } from '../errors.js';
import { stripeId, type ListJson, type ProductJson } from '../model.js';
import type { ProductCreateParams, ProductDataParams, ProductListParams, ProductUpdateParams } from '../schemas.js';
import type { Billing } from '../core/context.js';
import { mergeMetadata, previousAttributes, validCurrency } from '../core/support.js';

export type NewProductParams = ProductDataParams & { url?: string | null; marketing_features?: { name?: string | null }[] };

export class Products {
  constructor(private readonly b: Billing) {}

  /** A new product; `param` names where its data came from (`product_data`), for errors. */
  add(p: NewProductParams, param: string): ProductJson {
    if (!p.name) throw missingParam(param ? `${param}[name]` : 'name');
    if (p.id && this.b.db.products.has(p.id)) throw invalidRequest(`Product already exists.`, param ? `${param}[id]` : 'id', 'resource_already_exists');
    const now = this.b.now();
    const prod: ProductJson = {
      id: p.id ?? stripeId('prod', 14),
      object: 'product',
      active: p.active ?? true,
      created: now,
      default_price: null,
      description: p.description ?? null,
      images: p.images ?? [],
      livemode: false,
      marketing_features: (p.marketing_features ?? []).map((f) => ({ name: f.name ?? '' })),
      metadata: mergeMetadata({}, p.metadata),
      name: p.name,
      package_dimensions: null,
      shippable: null,
      statement_descriptor: null,
      tax_code: null,
      tax_details: null,
      type: 'service',
      unit_label: null,
      updated: now,
      url: p.url ?? null,
    };
    this.b.db.products.add(prod);
    this.b.events.emit('product.created', prod);
    return prod;
  }

  create(p: ProductCreateParams): ProductJson {
    const dp = p.default_price_data;
    if (dp) {
      validCurrency(dp.currency, 'default_price_data[currency]');
      if (dp.unit_amount == null && dp.unit_amount_decimal == null) throw missingParam('default_price_data[unit_amount]');
    }
    const prod = this.add(p, '');
    if (dp) {
      const price = this.b.prices.add({ ...dp, product: prod.id }, 'default_price_data', true);
      prod.default_price = price.id;
    }
    return this.b.db.render(prod);
  }

  update(id: string, p: ProductUpdateParams): ProductJson {
    const prod = this.b.db.products.get(id);
    const before = this.b.db.render(prod);
    if (p.default_price != null) {
      const price = this.b.db.prices.get(p.default_price, 'default_price');
      if (price.product !== id) throw invalidRequest('The default price must belong to this product.', 'default_price');
      prod.default_price = price.id;
    }
    if (p.name != null) prod.name = p.name;
    if (p.active != null) prod.active = p.active;
    if (p.description !== undefined) prod.description = p.description;
    if (p.images !== undefined) prod.images = p.images;
    if (p.url !== undefined) prod.url = p.url;
    if (p.marketing_features !== undefined) prod.marketing_features = p.marketing_features.map((f) => ({ name: f.name ?? '' }));
    prod.metadata = mergeMetadata(prod.metadata, p.metadata);
    prod.updated = this.b.now();
    this.b.events.emit('product.updated', prod, previousAttributes(before, prod));
    return this.b.db.render(prod);
  }

  list(p: ProductListParams): ListJson<ProductJson> {
    return this.b.db.products.list(p, '/v1/products', { where: (x) => (p.active == null || x.active === p.active) && (!p.ids?.length || p.ids.includes(x.id)) });
  }

  /** A product's display name (its id when it is gone). */
  nameOf(id: string): string {
    return this.b.db.products.find(id)?.name ?? id;
  }
}
