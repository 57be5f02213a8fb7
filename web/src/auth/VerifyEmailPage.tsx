import { useMutation, useQuery } from '@tanstack/react-query';
import { useEffect } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useApi, useSession, useSessionState } from '../app/services';
import { Button, ButtonLink } from '../ui/Button';
import { ErrorBanner, Notice, Spinner } from '../ui/Feedback';
import { Page } from '../ui/Page';
import { isTokenRefusal } from './token-errors';
import './auth.css';

/**
 * The verification link's page: verifies on load (signed in or not: the link may be opened on
 * another device) and says how it went. A query, not an effect, so the one-time token is sent
 * once even when React mounts the page twice.
 */
export default function VerifyEmailPage() {
  const api = useApi();
  const session = useSession();
  const state = useSessionState();
  const token = useSearchParams()[0].get('token') ?? '';
  const verify = useQuery({
    queryKey: ['verify-email', token],
    queryFn: () => api.account.verifyEmail(token),
    enabled: !!token && state.status !== 'restoring',
    staleTime: Infinity,
    gcTime: Infinity,
    retry: false,
  });
  const resend = useMutation({ mutationFn: () => api.account.sendVerificationEmail() });
  const signedIn = state.status === 'signed-in';

  // The banner in the shell reads the session's copy of the user: it goes away at once.
  useEffect(() => {
    if (verify.data && state.status === 'signed-in' && state.user.id === verify.data.id && !state.user.emailVerified) session.updateUser({ ...state.user, ...verify.data, emailVerified: true });
  }, [verify.data, session, state]);

  const next = signedIn ? (
    <ButtonLink to="/browse" variant="primary">
      Continue to Flix
    </ButtonLink>
  ) : (
    <ButtonLink to="/login" variant="primary">
      Sign in
    </ButtonLink>
  );

  if (!token) {
    return (
      <Page title="This link is incomplete" className="auth-page">
        <div className="auth-card card">
          <Notice tone="warning">The address has no verification token. Open the link from the e-mail again.</Notice>
          {next}
        </div>
      </Page>
    );
  }
  if (verify.isSuccess) {
    return (
      <Page title="Your e-mail address is verified" className="auth-page">
        <div className="auth-card card" data-testid="verify-result">
          <Notice tone="success">
            <strong>{verify.data.email || 'Your address'}</strong> is confirmed. Thank you.
          </Notice>
          {next}
        </div>
      </Page>
    );
  }
  if (verify.isError) {
    const expired = isTokenRefusal(verify.error);
    return (
      <Page title={expired ? 'This link has expired or was already used' : 'Your address could not be verified'} className="auth-page">
        <div className="auth-card card" data-testid="verify-result">
          {expired ? (
            <div className="banner banner-warning" role="alert">
              <p>Verification links work once, for a limited time. {signedIn ? 'We can send you a new one.' : 'Sign in to ask for a new one.'}</p>
            </div>
          ) : (
            <ErrorBanner error={verify.error} />
          )}
          {resend.isSuccess ? <Notice tone="success">A new link is on its way to {state.status === 'signed-in' ? state.user.email : 'your inbox'}.</Notice> : null}
          {resend.isError ? <ErrorBanner error={resend.error} title="The e-mail could not be sent" /> : null}
          <div className="row-actions">
            {signedIn && !resend.isSuccess ? (
              <Button variant="primary" busy={resend.isPending} onClick={() => resend.mutate()}>
                Send a new link
              </Button>
            ) : null}
            {expired && !signedIn ? next : null}
            {!expired ? (
              <Button onClick={() => void verify.refetch()} busy={verify.isFetching}>
                Try again
              </Button>
            ) : null}
          </div>
          <p className="muted auth-switch">
            <Link to={signedIn ? '/account/security' : '/'}>{signedIn ? 'Account security' : 'Flix home'}</Link>
          </p>
        </div>
      </Page>
    );
  }
  return (
    <Page title="Verifying your e-mail address" className="auth-page">
      <Spinner label="Verifying your e-mail address" />
    </Page>
  );
}
