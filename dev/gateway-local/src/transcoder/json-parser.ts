/**
 * The JSON reader in front of the transcoder. It accepts what protobuf's JsonStreamParser (used
 * by Envoy) accepts, single-quoted strings and bare keys included, and on malformed input reports
 * the same kind of message: the problem, the surrounding text and a caret under the position.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export class JsonSyntaxError extends Error {
  override readonly name = 'JsonSyntaxError';
}

const CONTEXT = 20;

class Parser {
  private i = 0;

  constructor(private readonly s: string) {}

  fail(message: string, at = this.i): never {
    const begin = Math.max(0, at - CONTEXT);
    const end = Math.min(this.s.length, at + CONTEXT);
    throw new JsonSyntaxError(`${message}\n${this.s.slice(begin, end)}\n${' '.repeat(at - begin)}^`);
  }

  private ws(): void {
    while (this.i < this.s.length && ' \t\r\n'.includes(this.s[this.i]!)) this.i++;
  }

  private atEnd(): boolean {
    return this.i >= this.s.length;
  }

  /** "Unexpected end of string." when the input stops where something was required. */
  private need(message: string): never {
    return this.atEnd() ? this.fail('Unexpected end of string.') : this.fail(message);
  }

  document(): JsonValue {
    this.ws();
    const v = this.value();
    this.ws();
    if (!this.atEnd()) this.fail('Parsing terminated before end of input.');
    return v;
  }

  private value(): JsonValue {
    const c = this.s[this.i];
    switch (c) {
      case '{':
        return this.object();
      case '[':
        return this.array();
      case '"':
      case "'":
        return this.string();
    }
    if (c !== undefined && (c === '-' || (c >= '0' && c <= '9'))) return this.number();
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (this.s.startsWith(word, this.i)) {
        this.i += word.length;
        return v;
      }
    }
    if (c === undefined) return this.fail('Unexpected end of string.');
    return /[A-Za-z_]/.test(c) ? this.fail('Unexpected token.') : this.fail('Expected a value.');
  }

  private object(): { [key: string]: JsonValue } {
    this.i++;
    const out: { [key: string]: JsonValue } = {};
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      const c = this.s[this.i];
      let key: string;
      if (c === '"' || c === "'") key = this.string();
      else if (c !== undefined && /[A-Za-z_$]/.test(c)) {
        const m = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(this.s.slice(this.i))!;
        key = m[0];
        this.i += key.length;
      } else return this.need('Expected an object key or }.');
      this.ws();
      if (this.s[this.i] !== ':') this.need('Expected : between key:value pair.');
      this.i++;
      this.ws();
      // Later duplicates win, as they do when protobuf writes the same field twice.
      Object.defineProperty(out, key, { value: this.value(), enumerable: true, writable: true, configurable: true });
      this.ws();
      const next = this.s[this.i];
      if (next === ',') {
        this.i++;
        continue;
      }
      if (next === '}') {
        this.i++;
        return out;
      }
      this.need('Expected , or } after key:value pair.');
    }
  }

  private array(): JsonValue[] {
    this.i++;
    const out: JsonValue[] = [];
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.atEnd()) this.fail('Unexpected end of string.');
      out.push(this.value());
      this.ws();
      const next = this.s[this.i];
      if (next === ',') {
        this.i++;
        continue;
      }
      if (next === ']') {
        this.i++;
        return out;
      }
      this.need('Expected , or ] after array value.');
    }
  }

  private string(): string {
    const quote = this.s[this.i]!;
    const start = this.i;
    this.i++;
    let out = '';
    for (;;) {
      if (this.atEnd()) this.fail('Closing quote expected in string.', start);
      const c = this.s[this.i]!;
      if (c === quote) {
        this.i++;
        return out;
      }
      if (c === '\\') {
        const e = this.s[this.i + 1];
        const simple: Record<string, string> = { '"': '"', "'": "'", '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e !== undefined && e in simple) {
          out += simple[e];
          this.i += 2;
          continue;
        }
        if (e === 'u') {
          const hex = this.s.slice(this.i + 2, this.i + 6);
          if (!/^[0-9A-Fa-f]{4}$/.test(hex)) this.fail('Illegal hex string.');
          out += String.fromCharCode(parseInt(hex, 16));
          this.i += 6;
          continue;
        }
        this.fail('Invalid escape sequence.');
      }
      out += c;
      this.i++;
    }
  }

  private number(): number | string {
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(this.s.slice(this.i));
    if (!m) this.fail('Unable to parse number.');
    const text = m[0];
    this.i += text.length;
    const n = Number(text);
    // Integers past 2^53 stay text so 64-bit fields keep every digit (proto3 JSON accepts both).
    if (/^-?\d+$/.test(text) && !Number.isSafeInteger(n)) return text;
    return n;
  }
}

/** Parses JSON the way Envoy's transcoder does; throws JsonSyntaxError with Envoy's wording. */
export function parseJson(text: string): JsonValue {
  return new Parser(text).document();
}
