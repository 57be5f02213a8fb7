import { useState, type FormEvent } from 'react';
import { Link, useLocation } from 'react-router';
import { ApiError, Code } from '../api/errors';
import { useApi, useSessionState } from '../app/services';
import { Button } from '../ui/Button';
import { ErrorBanner, Notice } from '../ui/Feedback';
import { TextField } from '../ui/Field';
import { Page } from '../ui/Page';
import { useSignIn } from './useSignIn';
import './auth.css';

export default function LoginPage() {
  const api = useApi();
  const state = useSessionState();
  const location = useLocation();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const signIn = useSignIn(api.auth.login);
  const err = signIn.error instanceof ApiError ? signIn.error : undefined;
  const notice = (location.state as { notice?: string } | null)?.notice ?? (state.status === 'signed-out' ? state.notice : undefined);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    signIn.mutate({ email, password });
  };

  return (
    <Page title="Sign in" className="auth-page">
      <form className="auth-card card" onSubmit={submit} noValidate>
        {notice ? <Notice>{notice}</Notice> : null}
        {signIn.error && !(err?.fieldViolations.length) ? (
          <ErrorBanner error={signIn.error} title={err?.code === Code.RESOURCE_EXHAUSTED ? 'Too many attempts' : undefined} />
        ) : null}
        <TextField label="E-mail" type="email" name="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} error={err?.fieldError('email')} />
        <TextField
          label="Password"
          type="password"
          name="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={err?.fieldError('password')}
        />
        <Button type="submit" variant="primary" busy={signIn.isPending} className="auth-submit">
          Sign in
        </Button>
        <p className="auth-forgot">
          <Link to="/forgot-password">Forgot your password?</Link>
        </p>
        <p className="muted auth-switch">
          New to Flix? <Link to="/signup" state={location.state}>Create an account</Link>
        </p>
      </form>
    </Page>
  );
}
