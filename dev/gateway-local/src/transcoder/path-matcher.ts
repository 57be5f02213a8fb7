/**
 * google.api.http path templates and the lookup Envoy's transcoder (grpc-httpjson-transcoding)
 * does: a trie searched depth-first with literal segments before `*` before `**`, custom verbs
 * recognised only when some template registers them, and the same URL unescaping rules.
 *
 *   Template = "/" Segments [ Verb ] ;  Segments = Segment { "/" Segment } ;
 *   Segment  = "*" | "**" | LITERAL | Variable ;  Variable = "{" FieldPath [ "=" Segments ] "}" ;
 *   Verb     = ":" LITERAL ;
 */

export interface TemplateVariable {
  fieldPath: string[];
  start: number;
  /** Exclusive end segment index, or, when the variable holds `**`, -(segments after it) - 1. */
  end: number;
}

export interface HttpTemplate {
  segments: string[];
  verb: string;
  variables: TemplateVariable[];
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Parses a template; null when it is not valid (Envoy then refuses to load the method). */
export function parseTemplate(template: string): HttpTemplate | null {
  if (template === '/') return { segments: [], verb: '', variables: [] };
  if (!template.startsWith('/')) return null;
  let body = template.slice(1);
  let verb = '';
  // The verb is a ':' after the last segment, outside any variable.
  let depth = 0;
  let lastSlash = -1;
  let colon = -1;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '{') depth++;
    else if (c === '}') depth--;
    else if (depth === 0 && c === '/') lastSlash = i;
    else if (depth === 0 && c === ':') colon = i;
  }
  if (depth !== 0) return null;
  if (colon > lastSlash) {
    verb = body.slice(colon + 1);
    body = body.slice(0, colon);
    if (!verb) return null;
  }
  const segments: string[] = [];
  const variables: TemplateVariable[] = [];
  let sawDoubleWildcard = false;
  for (const raw of splitTop(body)) {
    if (raw.startsWith('{')) {
      if (!raw.endsWith('}')) return null;
      const inner = raw.slice(1, -1);
      const eq = inner.indexOf('=');
      const field = eq < 0 ? inner : inner.slice(0, eq);
      const fieldPath = field.split('.');
      if (!fieldPath.every((p) => IDENT.test(p))) return null;
      const sub = eq < 0 ? ['*'] : inner.slice(eq + 1).split('/');
      const start = segments.length;
      for (const s of sub) {
        if (!s || s.includes('{') || s.includes('}')) return null;
        if (s === '**') sawDoubleWildcard = true;
        segments.push(s);
      }
      variables.push({ fieldPath, start, end: segments.length });
    } else {
      if (!raw || raw.includes('}')) return null;
      if (raw === '**') sawDoubleWildcard = true;
      segments.push(raw);
    }
  }
  if (sawDoubleWildcard) {
    // Segments after `**` are matched from the end, so a variable ending after it is relative.
    const wildcardAt = segments.indexOf('**');
    for (const v of variables) if (v.end > wildcardAt) v.end = -(segments.length - v.end) - 1;
  }
  return { segments, verb, variables };
}

function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of s) {
    if (c === '{') depth++;
    if (c === '}') depth--;
    if (c === '/' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

// ------------------------------------------------------------------------------ URL unescaping

export type UnescapeSpec = 'ALL_CHARACTERS_EXCEPT_RESERVED' | 'ALL_CHARACTERS_EXCEPT_SLASH' | 'ALL_CHARACTERS';

/** RFC 6570 reserved characters, left percent-encoded in multi-segment variables by default. */
const RESERVED = new Set(":/?#[]@!$&'()*+,;=".split('').map((c) => c.charCodeAt(0)));

const hexVal = (c: number) => (c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1);

/** Decodes %XX sequences as bytes, then the bytes as UTF-8. Malformed escapes stay as they are. */
export function urlUnescape(input: string, spec: UnescapeSpec, unescapePlus = false): string {
  const src = Buffer.from(input, 'utf8');
  const out: number[] = [];
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === 0x25 && i + 2 < src.length) {
      const hi = hexVal(src[i + 1]!);
      const lo = hexVal(src[i + 2]!);
      if (hi >= 0 && lo >= 0) {
        const byte = hi * 16 + lo;
        const keep = (spec === 'ALL_CHARACTERS_EXCEPT_RESERVED' && RESERVED.has(byte)) || (spec === 'ALL_CHARACTERS_EXCEPT_SLASH' && byte === 0x2f);
        if (!keep) {
          out.push(byte);
          i += 2;
          continue;
        }
      }
    }
    out.push(unescapePlus && c === 0x2b ? 0x20 : c);
  }
  return Buffer.from(out).toString('utf8');
}

export function isUrlEscaped(s: string): boolean {
  return /%[0-9A-Fa-f]{2}/.test(s);
}

// ------------------------------------------------------------------------------------ matching

export interface Binding {
  fieldPath: string[];
  value: string;
}

interface Registered<T> {
  method: T;
  variables: TemplateVariable[];
  bodyFieldPath: string;
  systemParams: Set<string>;
}

interface Slot<T> {
  data: Registered<T>;
  /** Two registrations of the same method + template: Envoy then matches neither. */
  multiple: boolean;
}

class TrieNode<T> {
  readonly children = new Map<string, TrieNode<T>>();
  readonly results = new Map<string, Slot<T>>();
  wildcard = false;
}

export interface MatcherOptions {
  unescapeSpec: UnescapeSpec;
  queryParamUnescapePlus: boolean;
  matchUnregisteredCustomVerb: boolean;
}

export interface LookupResult<T> {
  method: T;
  bindings: Binding[];
  bodyFieldPath: string;
}

export class PathMatcher<T> {
  private readonly root = new TrieNode<T>();
  private readonly customVerbs = new Set<string>();

  constructor(private readonly options: MatcherOptions) {}

  /** Registers one binding; false when the template is invalid. */
  register(httpMethod: string, template: string, bodyFieldPath: string, systemParams: Set<string>, method: T): boolean {
    const t = parseTemplate(template);
    if (!t) return false;
    if (t.verb) this.customVerbs.add(t.verb);
    let node = this.root;
    for (const seg of t.segments) {
      let child = node.children.get(seg);
      if (!child) {
        child = new TrieNode<T>();
        if (seg === '**') child.wildcard = true;
        node.children.set(seg, child);
      }
      node = child;
    }
    const key = httpMethod + t.verb;
    const data: Registered<T> = { method, variables: t.variables, bodyFieldPath, systemParams };
    const existing = node.results.get(key);
    if (existing) {
      existing.data = data;
      existing.multiple = true;
    } else node.results.set(key, { data, multiple: false });
    return true;
  }

  lookup(httpMethod: string, path: string, query: string): LookupResult<T> | undefined {
    const { parts, verb } = this.requestParts(path);
    const slot = this.lookupNode(this.root, parts, 0, httpMethod + verb);
    if (!slot || slot.multiple) return undefined;
    const bindings = [...this.pathBindings(slot.data.variables, parts), ...this.queryBindings(query, slot.data.systemParams)];
    return { method: slot.data.method, bindings, bodyFieldPath: slot.data.bodyFieldPath };
  }

  private requestParts(path: string): { parts: string[]; verb: string } {
    let p = path;
    let verb = '';
    const colon = p.lastIndexOf(':');
    const slash = p.lastIndexOf('/');
    if (colon >= 0 && colon > slash) {
      const candidate = p.slice(colon + 1);
      if (this.options.matchUnregisteredCustomVerb || this.customVerbs.has(candidate)) {
        verb = candidate;
        p = p.slice(0, colon);
      }
    }
    const parts = p.length > 0 ? p.slice(1).split('/') : [];
    while (parts.length && parts[parts.length - 1] === '') parts.pop();
    return { parts, verb };
  }

  private result(node: TrieNode<T>, key: string): Slot<T> | undefined {
    return node.results.get(key) ?? node.results.get('*');
  }

  private lookupNode(node: TrieNode<T>, parts: string[], i: number, key: string): Slot<T> | undefined {
    if (i === parts.length) {
      const r = this.result(node, key);
      if (r) return r;
      const any = node.children.get('**');
      return any ? this.result(any, key) : undefined;
    }
    const literal = node.children.get(parts[i]!);
    if (literal) {
      const r = this.lookupNode(literal, parts, i + 1, key);
      if (r) return r;
    }
    // Inside `**`: keep consuming segments until the rest matches a literal tail.
    if (node.wildcard) return this.lookupNode(node, parts, i + 1, key);
    for (const k of ['*', '**']) {
      const child = node.children.get(k);
      if (child) {
        const r = this.lookupNode(child, parts, i + 1, key);
        if (r) return r;
      }
    }
    return undefined;
  }

  private pathBindings(vars: TemplateVariable[], parts: string[]): Binding[] {
    return vars.map((v) => {
      const end = v.end >= 0 ? v.end : parts.length + v.end + 1;
      const multipart = end - v.start > 1 || v.end < 0;
      // A single segment is fully decoded; several keep reserved characters (as "%2F") encoded.
      const spec: UnescapeSpec = multipart ? this.options.unescapeSpec : 'ALL_CHARACTERS';
      const value = parts
        .slice(v.start, end)
        .map((p) => urlUnescape(p, spec))
        .join('/');
      return { fieldPath: v.fieldPath, value };
    });
  }

  private queryBindings(query: string, systemParams: Set<string>): Binding[] {
    if (!query) return [];
    const out: Binding[] = [];
    for (const param of query.split('&')) {
      const eq = param.indexOf('=');
      // Envoy ignores parameters without a name or without "=".
      if (eq <= 0) continue;
      const name = param.slice(0, eq);
      if (systemParams.has(name)) continue;
      out.push({ fieldPath: name.split('.'), value: urlUnescape(param.slice(eq + 1), 'ALL_CHARACTERS', this.options.queryParamUnescapePlus) });
    }
    return out;
  }
}
