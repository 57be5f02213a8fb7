import { DomainError } from '@flix/errors';

/**
 * Playback's own access token (OAuth2 client_credentials at identity's token endpoint), for
 * calls that need a service principal — the catalog shows playback ids only to services.
 * Cached until a minute before it expires; concurrent callers share one request.
 */
export class ServiceTokenSource {
  private token: { value: string; refreshAt: number } | null = null;
  private pending: Promise<string> | null = null;

  constructor(private readonly opts: { tokenUrl: string; clientId: string; clientSecret: string; scope?: string }) {}

  async get(): Promise<string> {
    if (this.token && Date.now() < this.token.refreshAt) return this.token.value;
    this.pending ??= this.fetchToken().finally(() => (this.pending = null));
    return this.pending;
  }

  private async fetchToken(): Promise<string> {
    const body = new URLSearchParams({ grant_type: 'client_credentials', ...(this.opts.scope ? { scope: this.opts.scope } : {}) });
    const basic = Buffer.from(`${encodeURIComponent(this.opts.clientId)}:${encodeURIComponent(this.opts.clientSecret)}`).toString('base64');
    let res: Response;
    try {
      res = await fetch(this.opts.tokenUrl, {
        method: 'POST',
        headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
        body,
        signal: AbortSignal.timeout(3_000),
      });
    } catch (e) {
      throw new DomainError('unavailable', 'IDENTITY_UNAVAILABLE', `cannot reach identity for a service token: ${e instanceof Error ? e.message : String(e)}`);
    }
    const json = (await res.json().catch(() => ({}))) as { access_token?: string; expires_in?: number; error?: string };
    if (!res.ok || !json.access_token)
      throw new DomainError('unavailable', 'SERVICE_TOKEN_REFUSED', `identity refused playback's client credentials (${res.status} ${json.error ?? ''})`.trim());
    const ttl = Math.max(30, json.expires_in ?? 300);
    this.token = { value: json.access_token, refreshAt: Date.now() + (ttl - Math.min(60, ttl / 2)) * 1000 };
    return json.access_token;
  }
}
