import { useMutation } from '@tanstack/react-query';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { useApi } from '../app/services';
import { Button } from '../ui/Button';
import { ErrorBanner } from '../ui/Feedback';
import { TextField } from '../ui/Field';
import { fieldErrorOf, needsBanner, useFocusFirstError } from '../ui/form-errors';
import { Page } from '../ui/Page';
import './auth.css';

/**
 * "Forgot your password?": the answer is the same whether or not an account has the address
 * (identity never says), so the page always shows one confirmation.
 */
export default function ForgotPasswordPage() {
  const api = useApi();
  const [email, setEmail] = useState('');
  const [sentTo, setSentTo] = useState<string>();
  const formRef = useRef<HTMLFormElement>(null);
  const request = useMutation({
    mutationFn: (address: string) => api.account.forgotPassword(address),
    onSuccess: (_res, address) => setSentTo(address),
  });
  useFocusFirstError(formRef, request.error);
  const done = sentTo !== undefined;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    request.mutate(email.trim());
  };

  return (
    <Page title="Reset your password" className="auth-page">
      {done ? (
        <SentConfirmation email={sentTo} />
      ) : (
        <form ref={formRef} className="auth-card card" onSubmit={submit} noValidate>
          <p className="muted">Enter the e-mail address of your Flix account. We will send it a link to choose a new password.</p>
          {needsBanner(request.error, ['email']) ? <ErrorBanner error={request.error} title="The link could not be sent" /> : null}
          <TextField
            label="E-mail"
            type="email"
            name="email"
            autoComplete="email"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            error={fieldErrorOf(request.error, 'email')}
          />
          <Button type="submit" variant="primary" busy={request.isPending} className="auth-submit">
            Send the link
          </Button>
          <p className="muted auth-switch">
            Remembered it? <Link to="/login">Sign in</Link>
          </p>
        </form>
      )}
    </Page>
  );
}

function SentConfirmation({ email }: { email: string }) {
  const headingRef = useRef<HTMLHeadingElement>(null);
  // The form (and the focused button) is gone: focus the answer so it is read out.
  useEffect(() => headingRef.current?.focus(), []);
  return (
    <div className="auth-card card" role="status" data-testid="forgot-confirmation">
      <h2 className="section-title" ref={headingRef} tabIndex={-1}>
        Check your inbox
      </h2>
      <p>
        If an account uses <strong>{email}</strong>, we have sent it a link to choose a new password. The link works once, for a short time.
      </p>
      <p className="muted">Nothing after a few minutes? Look in your spam folder, or check the address and ask again.</p>
      <p className="auth-switch">
        <Link to="/login">Back to sign in</Link>
      </p>
    </div>
  );
}
