import { useMutation } from '@tanstack/react-query';
import { useLocation } from 'react-router';
import { useApi, useSessionState } from './services';
import { Button } from '../ui/Button';
import '../account/settings.css';

/** Pages where the banner would repeat the page (verification, security) or distract from a decision (consent, TV code). */
const QUIET = ['/verify-email', '/account/security', '/oauth/consent', '/activate'];

/**
 * Under the top bar while the signed-in person has not verified their address yet, with a way
 * to get the e-mail again. It goes away as soon as the session's user is verified.
 */
export function VerifyEmailBanner() {
  const api = useApi();
  const state = useSessionState();
  const { pathname } = useLocation();
  const resend = useMutation({ mutationFn: () => api.account.sendVerificationEmail() });
  if (state.status !== 'signed-in' || state.user.emailVerified || QUIET.includes(pathname)) return null;
  return (
    <div className="banner banner-warning verify-banner" role="region" aria-label="E-mail verification" data-testid="verify-banner">
      <p>
        Please verify your e-mail address: open the link we sent to <strong>{state.user.email}</strong>.
      </p>
      <span role="status">
        {resend.isSuccess ? 'Sent. Check your inbox.' : resend.isError ? 'It could not be sent. Try again in a moment.' : ''}
      </span>
      {!resend.isSuccess ? (
        <Button variant="secondary" busy={resend.isPending} onClick={() => resend.mutate()}>
          Resend e-mail
        </Button>
      ) : null}
    </div>
  );
}
