/**
 * Envoy's HTTP local rate limiter (v1.34+): a default token bucket plus descriptor buckets, where a
 * descriptor entry with an empty value is a wildcard that gets one bucket per distinct value (kept
 * in an LRU of max_dynamic_descriptors), and the route's rate_limits actions that turn a request
 * into descriptors.
 */
import type { LocalRateLimitConfig, RateLimitPolicy, TokenBucket } from '../config/envoy-config.js';
import type { DynamicMetadata } from './rbac.js';

export type DescriptorEntry = { key: string; value: string };
export type Descriptor = DescriptorEntry[];

/** What a token bucket tells the x-ratelimit-* headers. */
export interface BucketState {
  readonly limit: number;
  readonly remaining: number;
  /** Seconds until the next token. */
  readonly resetSeconds: number;
}

/** Refills continuously at tokens_per_fill per fill_interval, as Envoy's timer-free bucket does. */
export class Bucket implements BucketState {
  private tokens: number;
  private last: number;

  constructor(
    private readonly cfg: TokenBucket,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = cfg.maxTokens;
    this.last = now();
  }

  /** Tokens per millisecond: the most restrictive bucket is the one filling slowest. */
  get fillRate(): number {
    return this.cfg.tokensPerFill / this.cfg.fillIntervalMs;
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.cfg.maxTokens, this.tokens + (t - this.last) * this.fillRate);
    this.last = t;
  }

  take(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  get limit(): number {
    return this.cfg.maxTokens;
  }

  get remaining(): number {
    this.refill();
    return Math.floor(this.tokens);
  }

  get resetSeconds(): number {
    this.refill();
    if (this.tokens >= 1) return 0;
    return Math.ceil((1 - this.tokens) / this.fillRate / 1000);
  }
}

export interface LimitDecision {
  allowed: boolean;
  /** The bucket the x-ratelimit-* headers describe: the one that refused, else the tightest matched. */
  bucket?: BucketState;
}

const keyOf = (d: Descriptor) => JSON.stringify(d.map((e) => [e.key, e.value]));

/** One LocalRateLimit config's buckets (per route config, as in Envoy: a route's buckets are its own). */
export class LocalRateLimiter {
  private readonly defaultBucket?: Bucket;
  private readonly staticBuckets = new Map<string, Bucket>();
  /** Wildcard buckets by the request's full descriptor, least recently used first. */
  private readonly dynamic = new Map<string, Bucket>();

  constructor(
    private readonly cfg: LocalRateLimitConfig,
    private readonly now: () => number = Date.now,
  ) {
    if (cfg.bucket) this.defaultBucket = new Bucket(cfg.bucket, now);
    for (const d of cfg.descriptors) if (d.entries.every((e) => e.value !== '')) this.staticBuckets.set(keyOf(d.entries), new Bucket(d.bucket, now));
  }

  private find(request: Descriptor): Bucket | undefined {
    const exact = this.staticBuckets.get(keyOf(request));
    if (exact) return exact;
    for (const d of this.cfg.descriptors) {
      if (d.entries.length !== request.length) continue;
      if (!d.entries.every((e, i) => e.key === request[i]!.key && (e.value === '' || e.value === request[i]!.value))) continue;
      if (d.entries.every((e) => e.value !== '')) continue;
      const key = keyOf(request);
      let bucket = this.dynamic.get(key);
      if (bucket) this.dynamic.delete(key);
      else bucket = new Bucket(d.bucket, this.now);
      this.dynamic.set(key, bucket);
      // The least recently used value loses its bucket (and so starts full again if it returns).
      while (this.dynamic.size > this.cfg.maxDynamicDescriptors) this.dynamic.delete(this.dynamic.keys().next().value!);
      return bucket;
    }
    return undefined;
  }

  decide(descriptors: Descriptor[]): LimitDecision {
    const matched = descriptors.map((d) => this.find(d)).filter((b): b is Bucket => b !== undefined);
    matched.sort((a, b) => a.fillRate - b.fillRate);
    for (const b of matched) if (!b.take()) return { allowed: false, bucket: b };
    if (matched.length === 0 || this.cfg.alwaysConsumeDefault) {
      if (!this.defaultBucket) return { allowed: true, bucket: matched[0] };
      const ok = this.defaultBucket.take();
      return { allowed: ok, bucket: !ok || matched.length === 0 ? this.defaultBucket : matched[0] };
    }
    return { allowed: true, bucket: matched[0] };
  }
}

export interface DescriptorInput {
  /** The trusted client address (use_remote_address / xff_num_trusted_hops). */
  remoteAddress: string;
  header(name: string): string | undefined;
  metadata: DynamicMetadata;
}

function metadataValue(metadata: DynamicMetadata, namespace: string, path: string[]): string | undefined {
  let v: unknown = metadata.get(namespace);
  for (const k of path) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

/** The route's rate_limits of one stage → descriptors; an action without a value drops its descriptor. */
export function populateDescriptors(policies: readonly RateLimitPolicy[], stage: number, input: DescriptorInput): Descriptor[] {
  const out: Descriptor[] = [];
  for (const policy of policies) {
    if (policy.stage !== stage) continue;
    const entries: Descriptor = [];
    let keep = true;
    for (const a of policy.actions) {
      let value: string | undefined;
      let key: string;
      let skipIfAbsent = false;
      switch (a.kind) {
        case 'remote_address':
          key = 'remote_address';
          value = input.remoteAddress || undefined;
          break;
        case 'request_headers':
          key = a.descriptorKey;
          value = input.header(a.headerName);
          skipIfAbsent = a.skipIfAbsent;
          break;
        case 'generic_key':
          key = a.descriptorKey;
          value = a.value;
          break;
        case 'metadata':
          key = a.descriptorKey;
          value = metadataValue(input.metadata, a.namespace, a.path) ?? a.defaultValue;
          skipIfAbsent = a.skipIfAbsent;
          break;
      }
      if (value !== undefined && value !== '') entries.push({ key, value });
      else if (!skipIfAbsent) {
        keep = false;
        break;
      }
    }
    if (keep && entries.length > 0) out.push(entries);
  }
  return out;
}
