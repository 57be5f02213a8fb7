/**
 * Strict access to a parsed Envoy YAML tree. Every object is read through `only()`, which rejects
 * keys the local gateway does not mirror: a construct that would be silently ignored here while
 * Envoy honours it is exactly how the two gateways would drift apart.
 */

export class EnvoyConfigError extends Error {
  override readonly name = 'EnvoyConfigError';
}

const TYPE_URL_PREFIX = 'type.googleapis.com/';

const toSnake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const toCamel = (key: string) => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One object of the config tree, with its dotted location for error messages. */
export class Node {
  private constructor(
    readonly value: Record<string, unknown>,
    readonly path: string,
  ) {}

  static of(value: unknown, path: string): Node {
    if (!isPlainObject(value)) throw new EnvoyConfigError(`${path}: expected an object`);
    return new Node(value, path);
  }

  /** Envoy accepts proto field names and their lowerCamelCase JSON names alike. */
  raw(key: string): unknown {
    if (key in this.value) return this.value[key];
    const camel = toCamel(key);
    return camel in this.value ? this.value[camel] : undefined;
  }

  has(key: string): boolean {
    return this.raw(key) !== undefined && this.raw(key) !== null;
  }

  at(key: string): string {
    return `${this.path}.${key}`;
  }

  /**
   * Rejects every key outside `supported`. `inert` lists keys that are accepted because they have
   * no observable effect on what a client sees (stat prefixes, DNS families), so mirroring them is
   * nothing to do.
   */
  only(supported: readonly string[], inert: readonly string[] = []): this {
    for (const key of Object.keys(this.value)) {
      if (key === '@type') continue;
      const snake = toSnake(key);
      if (supported.includes(snake) || inert.includes(snake)) continue;
      throw new EnvoyConfigError(
        `${this.path}.${key}: not supported by the local gateway (it would be ignored here while Envoy honours it)`,
      );
    }
    return this;
  }

  typeUrl(): string | undefined {
    const t = this.value['@type'];
    return typeof t === 'string' ? t : undefined;
  }

  expectType(...allowed: string[]): string {
    const t = this.typeUrl();
    const names = allowed.map((a) => TYPE_URL_PREFIX + a);
    if (t === undefined || !names.includes(t)) {
      throw new EnvoyConfigError(`${this.path}: "@type" must be one of ${names.join(', ')} (got ${t ?? 'nothing'})`);
    }
    return t.slice(TYPE_URL_PREFIX.length);
  }

  obj(key: string): Node | undefined {
    const v = this.raw(key);
    return v === undefined || v === null ? undefined : Node.of(v, this.at(key));
  }

  reqObj(key: string): Node {
    const n = this.obj(key);
    if (!n) throw new EnvoyConfigError(`${this.at(key)}: required`);
    return n;
  }

  list(key: string): Node[] {
    const v = this.raw(key);
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw new EnvoyConfigError(`${this.at(key)}: expected a list`);
    return v.map((item, i) => Node.of(item, `${this.at(key)}[${i}]`));
  }

  strList(key: string): string[] {
    const v = this.raw(key);
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) {
      throw new EnvoyConfigError(`${this.at(key)}: expected a list of strings`);
    }
    return v as string[];
  }

  /** A proto map field: keys are user data, so they are never case-converted. */
  entries(key: string): [string, unknown][] {
    const v = this.raw(key);
    if (v === undefined || v === null) return [];
    if (!isPlainObject(v)) throw new EnvoyConfigError(`${this.at(key)}: expected a map`);
    return Object.entries(v);
  }

  optStr(key: string): string | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw new EnvoyConfigError(`${this.at(key)}: expected a string`);
    return v;
  }

  str(key: string, fallback?: string): string {
    const v = this.optStr(key) ?? fallback;
    if (v === undefined) throw new EnvoyConfigError(`${this.at(key)}: required`);
    return v;
  }

  bool(key: string, fallback = false): boolean {
    const v = this.raw(key);
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') throw new EnvoyConfigError(`${this.at(key)}: expected true or false`);
    return v;
  }

  /** Numbers, including wrapper types (UInt32Value is a bare number in proto JSON). */
  optNum(key: string): number | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return undefined;
    const n = typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isFinite(n)) throw new EnvoyConfigError(`${this.at(key)}: expected a number`);
    return n;
  }

  num(key: string, fallback?: number): number {
    const v = this.optNum(key) ?? fallback;
    if (v === undefined) throw new EnvoyConfigError(`${this.at(key)}: required`);
    return v;
  }

  /** google.protobuf.Duration in milliseconds ("1.5s" or {seconds, nanos}). */
  optDurationMs(key: string): number | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return undefined;
    return parseDurationMs(v, this.at(key));
  }

  enumValue<T extends string>(key: string, allowed: readonly T[], fallback: T): T {
    const v = this.raw(key);
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
      throw new EnvoyConfigError(`${this.at(key)}: the local gateway supports only ${allowed.join(', ')} (got ${String(v)})`);
    }
    return v as T;
  }
}

export function parseDurationMs(v: unknown, path: string): number {
  if (typeof v === 'string') {
    const m = /^(\d+(?:\.\d+)?)s$/.exec(v.trim());
    if (!m) throw new EnvoyConfigError(`${path}: expected a duration such as "1.5s" (got ${v})`);
    return Math.round(Number(m[1]) * 1000);
  }
  if (isPlainObject(v)) {
    const n = Node.of(v, path).only(['seconds', 'nanos']);
    return n.num('seconds', 0) * 1000 + Math.round(n.num('nanos', 0) / 1e6);
  }
  throw new EnvoyConfigError(`${path}: expected a duration`);
}
