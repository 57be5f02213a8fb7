import { timingSafeEqual } from 'node:crypto';

/** The grants an application (a client acting for a person) may use. */
export type UserGrant = 'authorization_code' | 'device_code';

/**
 * An application that acts for a person (OAuth 2.1 §2): Flix's own web and TV apps, or a third
 * party's. Distinct from FLIX_OAUTH_CLIENTS, the internal services that act as themselves.
 */
export interface OAuthApplication {
  id: string;
  displayName: string;
  /** Compared exactly (OAuth 2.1 §2.3.1: no patterns, no prefix matching). */
  redirectUris: string[];
  /** Present for a confidential client, which must authenticate at the token endpoint. */
  secret?: string;
  /** Flix's own apps: the person is not asked to consent. */
  firstParty: boolean;
  /** The scopes it may ask for; a request without `scope` gets all of them. */
  scopes: string[];
  grants: UserGrant[];
}

/**
 * What a token for a person may do, with the sentence the consent page shows. Services authorise
 * user tokens by their roles today; the `scope` claim records what the person granted.
 */
export const OAUTH_SCOPES: Record<string, string> = {
  profile: 'See your name, e-mail address and profiles',
  library: 'See and change your list, favourites and ratings',
  playback: 'Play titles and see what you watched',
  billing: 'See your subscription and rentals',
  offline_access: 'Stay signed in when you are not using it',
};

/** The sentence for a scope (an operator's own scope without one reads as its name). */
export const describeScope = (name: string) => OAUTH_SCOPES[name] ?? name;

/**
 * Flix's own applications, always registered (an FLIX_OAUTH_APPS entry with the same id replaces
 * one): the web app signs in through the authorization code flow and comes back to
 * `<public>/callback`; the TV app uses the device authorization grant.
 */
export function builtInApplications(publicUrl: string): OAuthApplication[] {
  const base = publicUrl.replace(/\/$/, '');
  const all = Object.keys(OAUTH_SCOPES);
  return [
    { id: 'flix-web', displayName: 'Flix', redirectUris: [`${base}/callback`], firstParty: true, scopes: all, grants: ['authorization_code'] },
    { id: 'flix-tv', displayName: 'Flix for TV', redirectUris: [], firstParty: true, scopes: all, grants: ['device_code'] },
  ];
}

/** The registry: built-in applications plus the operator's, the latter winning on the same id. */
export class OAuthApplications {
  private readonly byId: Map<string, OAuthApplication>;

  constructor(apps: OAuthApplication[]) {
    this.byId = new Map(apps.map((a) => [a.id, a]));
  }

  find(id: string): OAuthApplication | undefined {
    return this.byId.get(id);
  }

  /**
   * Client authentication at the token endpoint: a confidential client must prove its secret,
   * a public one must not pretend to have one. Returns the application, or null when refused.
   */
  authenticate(id: string, secret: string | null): OAuthApplication | null {
    const app = this.byId.get(id);
    if (!app) return null;
    if (app.secret === undefined) return secret === null ? app : null;
    return secret !== null && safeEqual(app.secret, secret) ? app : null;
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
