import { useMutation } from '@tanstack/react-query';
import { useRef, useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { useApi, useSession, useSessionState } from '../app/services';
import { Button, ButtonLink } from '../ui/Button';
import { ErrorBanner } from '../ui/Feedback';
import { TextField } from '../ui/Field';
import { fieldErrorOf, needsBanner, useFocusFirstError } from '../ui/form-errors';
import { Page } from '../ui/Page';
import { isTokenRefusal } from './token-errors';
import './auth.css';

const PASSWORD_HINT = 'At least 10 characters. A few unrelated words make a strong one.';

/** The reset link's page: a new password (typed twice), then every device is signed out and the person signs in again. */
export default function ResetPasswordPage() {
  const api = useApi();
  const session = useSession();
  const state = useSessionState();
  const navigate = useNavigate();
  const token = useSearchParams()[0].get('token') ?? '';
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [mismatch, setMismatch] = useState<string>();
  const formRef = useRef<HTMLFormElement>(null);
  const reset = useMutation({
    mutationFn: () => api.account.resetPassword(token, password),
    onSuccess: async () => {
      // Every session of the account was just revoked, this browser's too.
      if (state.status === 'signed-in') await session.logout().catch(() => undefined);
      navigate('/login', { replace: true, state: { notice: 'Your password is changed and every device was signed out. Sign in with your new password.' } });
    },
  });
  useFocusFirstError(formRef, mismatch ?? reset.error);

  if (!token) return <LinkProblem title="This link is incomplete" text="The address has no reset token. Open the link from the e-mail again, or ask for a new one." />;
  if (isTokenRefusal(reset.error)) {
    return <LinkProblem title="This link has expired or was already used" text="Reset links work once, for a short time. Ask for a new one and use the most recent e-mail." />;
  }

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (password && confirm !== password) {
      setMismatch('The two passwords are not the same. Type the new password again.');
      return;
    }
    setMismatch(undefined);
    reset.mutate();
  };

  return (
    <Page title="Choose a new password" className="auth-page">
      <form ref={formRef} className="auth-card card" onSubmit={submit} noValidate>
        {needsBanner(reset.error, ['newPassword', 'password']) ? <ErrorBanner error={reset.error} title="Your password could not be changed" /> : null}
        <TextField
          label="New password"
          type="password"
          name="newPassword"
          autoComplete="new-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          hint={PASSWORD_HINT}
          error={fieldErrorOf(reset.error, 'newPassword') ?? fieldErrorOf(reset.error, 'password')}
        />
        <TextField
          label="Confirm new password"
          type="password"
          name="confirmPassword"
          autoComplete="new-password"
          required
          value={confirm}
          onChange={(e) => setConfirm(e.target.value)}
          error={mismatch}
        />
        <Button type="submit" variant="primary" busy={reset.isPending} className="auth-submit">
          Change password
        </Button>
      </form>
    </Page>
  );
}

function LinkProblem({ title, text }: { title: string; text: string }) {
  return (
    <Page title={title} className="auth-page">
      <div className="auth-card card">
        <div className="banner banner-warning" role="alert">
          <p>{text}</p>
        </div>
        <ButtonLink to="/forgot-password" variant="primary" className="auth-submit">
          Ask for a new link
        </ButtonLink>
        <p className="muted auth-switch">
          <Link to="/login">Back to sign in</Link>
        </p>
      </div>
    </Page>
  );
}
