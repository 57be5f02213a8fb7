/**
 * The emulators' route table: a method and a path pattern (`/v1/customers/:id`) to whatever the
 * emulator calls a handler (a function, or a record with its auth flag or schema beside it).
 */
export type RouteParams = Record<string, string>;

/** A hit with its decoded path params, or a miss that says whether the path exists for another method. */
export type RouteMatch<H> = { found: true; handler: H; params: RouteParams } | { found: false; methodNotAllowed: boolean };

interface CompiledRoute<H> {
  method: string;
  pattern: RegExp;
  keys: string[];
  handler: H;
}

const PARAM = /:([a-zA-Z]+)/g;
const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function compile(path: string): { pattern: RegExp; keys: string[] } {
  const keys: string[] = [];
  let source = '';
  let last = 0;
  for (const m of path.matchAll(PARAM)) {
    source += `${escapeRegExp(path.slice(last, m.index))}([^/]+)`;
    keys.push(m[1]);
    last = m.index + m[0].length;
  }
  return { pattern: new RegExp(`^${source}${escapeRegExp(path.slice(last))}$`), keys };
}

function decodeParams(keys: string[], groups: RegExpExecArray): RouteParams | undefined {
  const params: RouteParams = {};
  try {
    keys.forEach((k, i) => (params[k] = decodeURIComponent(groups[i + 1])));
  } catch {
    return undefined; // a malformed %-escape names nothing that exists
  }
  return params;
}

export class Router<H> {
  private readonly routes: CompiledRoute<H>[] = [];

  add(method: string, path: string, handler: H): this {
    this.routes.push({ method, ...compile(path), handler });
    return this;
  }

  /** The first route added for this method and path wins. */
  match(method: string | undefined, pathname: string): RouteMatch<H> {
    let methodNotAllowed = false;
    for (const r of this.routes) {
      const groups = r.pattern.exec(pathname);
      const params = groups && decodeParams(r.keys, groups);
      if (!params) continue;
      if (r.method === method) return { found: true, handler: r.handler, params };
      methodNotAllowed = true;
    }
    return { found: false, methodNotAllowed };
  }
}
