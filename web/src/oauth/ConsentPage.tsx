import { useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { useSearchParams } from 'react-router';
import type { AuthorizeRequest } from '../api/gen/flix/identity/v1/identity_service';
import { useApi, useSessionState } from '../app/services';
import { Button } from '../ui/Button';
import { ErrorBanner, Spinner } from '../ui/Feedback';
import { Page } from '../ui/Page';
import { leaveFor } from './leave';
import { ScopeList } from './scopes';
import './oauth.css';

const PARAMS = ['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'code_challenge', 'code_challenge_method'] as const;

/** The authorization request's query (as /oauth/authorize passed it on), in the API's field names. */
export function authorizationRequest(search: URLSearchParams): Omit<AuthorizeRequest, 'deny'> {
  const get = (k: (typeof PARAMS)[number]) => search.get(k) ?? '';
  return {
    responseType: get('response_type'),
    clientId: get('client_id'),
    redirectUri: get('redirect_uri'),
    scope: get('scope'),
    state: get('state'),
    codeChallenge: get('code_challenge'),
    codeChallengeMethod: get('code_challenge_method'),
  };
}

/**
 * OAuth 2.1 consent (the route is signed-in only: a visitor signs in and comes back here).
 * Identity checks the request (PreviewAuthorization); a first-party client, or one the person
 * already allowed these scopes, goes on without asking. Allow or Deny → Authorize, whose answer
 * is where the browser goes next: the client's redirect_uri with a code, or with an error.
 */
export default function ConsentPage() {
  const api = useApi();
  const state = useSessionState();
  const [search] = useSearchParams();
  const request = authorizationRequest(search);
  const preview = useQuery({
    queryKey: ['oauth-preview', search.toString()],
    queryFn: () => api.oauth.preview(request),
    staleTime: Infinity,
    retry: false,
  });
  const decide = useMutation({
    mutationFn: (deny: boolean) => api.oauth.authorize({ ...request, deny }),
    // Leaving Flix for the client: the page stays busy until the browser has gone.
    onSuccess: (res) => leaveFor(res.redirectTo),
  });
  const autoApproved = useRef(false);
  const skipConsent = !!preview.data && (preview.data.consentGiven || !!preview.data.client?.firstParty);

  useEffect(() => {
    if (skipConsent && !autoApproved.current) {
      autoApproved.current = true;
      decide.mutate(false);
    }
  }, [skipConsent, decide]);

  if (preview.isError) {
    return (
      <Page title="This sign-in request cannot be used" className="oauth-page">
        <div className="oauth-card card" data-testid="consent-error">
          <ErrorBanner error={preview.error} />
          <p className="muted">The app that sent you here made a mistake in its request. Go back to it and try again, or tell its makers.</p>
        </div>
      </Page>
    );
  }
  if (preview.isPending || (skipConsent && !decide.isError)) {
    return (
      <Page title="Signing you in" className="oauth-page">
        <Spinner label={skipConsent ? 'Taking you back to the app' : 'Checking the request'} />
      </Page>
    );
  }

  const client = preview.data.client;
  const name = client?.displayName || client?.clientId || 'An app';
  const going = decide.isPending || decide.isSuccess;
  return (
    <Page title={`Allow ${name} to use your Flix account?`} className="oauth-page">
      <div className="oauth-card card" data-testid="consent">
        <p className="muted oauth-who">
          Signed in as <strong>{state.status === 'signed-in' ? state.user.email : ''}</strong>. {name} will be able to:
        </p>
        <ScopeList scopes={preview.data.scopes ?? []} />
        <p className="muted oauth-redirect">
          After your answer you go back to <strong>{hostOf(request.redirectUri)}</strong>. You can take the access back by signing the app out in Account → Security.
        </p>
        {decide.isError ? <ErrorBanner error={decide.error} title="Your answer could not be sent" /> : null}
        <div className="oauth-actions">
          <Button variant="primary" busy={going && decide.variables === false} disabled={going} onClick={() => decide.mutate(false)}>
            Allow
          </Button>
          <Button variant="ghost" busy={going && decide.variables === true} disabled={going} onClick={() => decide.mutate(true)}>
            Deny
          </Button>
        </div>
      </div>
    </Page>
  );
}

function hostOf(uri: string): string {
  try {
    return new URL(uri).host || uri;
  } catch {
    return uri;
  }
}
