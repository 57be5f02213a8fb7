import { useQuery } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';
import { ApiError, Code } from '../api/errors';
import { useApi, useSessionState } from '../app/services';
import { Button, ButtonLink } from '../ui/Button';
import { ErrorBanner, Notice, Spinner } from '../ui/Feedback';
import { Page } from '../ui/Page';
import { categoryName } from './categories';
import '../auth/auth.css';

/**
 * The unsubscribe link's page (no sign-in: the signed token names the account and category).
 * A query, so the call is made once however often React mounts the page.
 */
export default function UnsubscribePage() {
  const api = useApi();
  const state = useSessionState();
  const token = useSearchParams()[0].get('token') ?? '';
  const result = useQuery({
    queryKey: ['unsubscribe', token],
    queryFn: () => api.notifications.unsubscribe(token),
    enabled: !!token,
    staleTime: Infinity,
    gcTime: Infinity,
    retry: false,
  });
  const manage =
    state.status === 'signed-in' ? (
      <ButtonLink to="/account/notifications">Manage e-mail preferences</ButtonLink>
    ) : (
      <p className="muted auth-switch">
        To change other e-mails, <Link to="/login" state={{ from: '/account/notifications' }}>sign in</Link> and open Account → E-mails.
      </p>
    );

  if (!token || (result.error instanceof ApiError && (result.error.code === Code.INVALID_ARGUMENT || result.error.code === Code.NOT_FOUND))) {
    return (
      <Page title="This unsubscribe link does not work" className="auth-page">
        <div className="auth-card card" data-testid="unsubscribe-result">
          <div className="banner banner-warning" role="alert">
            <p>The link is incomplete or damaged. Open it again from the e-mail, or change your e-mail preferences in your account.</p>
          </div>
          {manage}
        </div>
      </Page>
    );
  }
  if (result.isError) {
    return (
      <Page title="You could not be unsubscribed" className="auth-page">
        <div className="auth-card card" data-testid="unsubscribe-result">
          <ErrorBanner error={result.error}>
            <Button onClick={() => void result.refetch()} busy={result.isFetching}>
              Try again
            </Button>
          </ErrorBanner>
        </div>
      </Page>
    );
  }
  if (result.isSuccess) {
    const name = categoryName(result.data.category);
    return (
      <Page title="You are unsubscribed" className="auth-page">
        <div className="auth-card card" data-testid="unsubscribe-result">
          <Notice tone="success">
            You will no longer get <strong>{name}</strong> e-mails from Flix.
          </Notice>
          <p className="muted">E-mails about your account, its security and your payments still come: they are needed to use Flix.</p>
          {manage}
        </div>
      </Page>
    );
  }
  return (
    <Page title="Unsubscribing" className="auth-page">
      <Spinner label="Unsubscribing" />
    </Page>
  );
}
