import { ApiError, Code, errorFromResponse } from './errors';

export type QueryValue = string | number | boolean | readonly string[] | undefined | null;
export type Query = Record<string, QueryValue>;

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  query?: Query;
  body?: unknown;
  /** required: sends the access token (refreshing it first when due); none: anonymous; optional: a token when signed in. */
  auth?: 'required' | 'optional' | 'none';
  signal?: AbortSignal;
  /** Outlives the page (stopping playback on tab close). */
  keepalive?: boolean;
}

/** Where the HTTP layer gets access tokens; implemented by the session (auth/session.ts). */
export interface TokenSource {
  /** A token valid for a while yet (refreshed first when about to expire), or undefined when signed out. */
  accessToken(): Promise<string | undefined>;
  /** Called after a 401 on an authenticated call: a fresh token to retry once with, or undefined. */
  tokenRejected(rejected: string): Promise<string | undefined>;
}

/** Query strings as the gateway's transcoder reads them: repeated fields as repeated keys. */
export function toQueryString(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '' || value === false) continue;
    if (Array.isArray(value)) for (const v of value) params.append(key, v);
    else params.append(key, String(value));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

async function readBody(res: Response): Promise<unknown> {
  const text = await res.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** JSON over the same-origin gateway, with bearer tokens and google.rpc.Status errors. */
export class HttpClient {
  constructor(
    private readonly tokens: TokenSource,
    private readonly baseUrl = '',
  ) {}

  async request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
    const auth = opts.auth ?? 'required';
    let token = auth === 'none' ? undefined : await this.tokens.accessToken();
    if (auth === 'required' && !token) throw new ApiError(401, Code.UNAUTHENTICATED, 'Please sign in.', 'SIGNED_OUT', [], undefined);
    let res = await this.send(path, opts, token);
    if (res.status === 401 && token) {
      token = await this.tokens.tokenRejected(token);
      if (token) res = await this.send(path, opts, token);
    }
    const body = await readBody(res);
    if (!res.ok) throw errorFromResponse(res.status, body, res.headers.get('retry-after'));
    return body as T;
  }

  private async send(path: string, opts: RequestOptions, token: string | undefined): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const hasBody = opts.body !== undefined;
    if (hasBody) headers['content-type'] = 'application/json';
    try {
      return await fetch(`${this.baseUrl}${path}${toQueryString(opts.query)}`, {
        method: opts.method ?? (hasBody ? 'POST' : 'GET'),
        headers,
        body: hasBody ? JSON.stringify(opts.body) : undefined,
        signal: opts.signal,
        keepalive: opts.keepalive,
        credentials: 'same-origin',
      });
    } catch (err) {
      if (err instanceof DOMException && err.name === 'AbortError') throw err;
      throw new ApiError(0, Code.UNAVAILABLE, 'Flix cannot be reached. Check your connection and try again.', 'NETWORK', [], undefined);
    }
  }
}
