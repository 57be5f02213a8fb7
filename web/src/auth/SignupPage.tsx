import { useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useLocation } from 'react-router';
import { ApiError } from '../api/errors';
import { useApi } from '../app/services';
import { languageName } from '../lib/format';
import { Button } from '../ui/Button';
import { ErrorBanner } from '../ui/Feedback';
import { SelectField, TextField } from '../ui/Field';
import { Page } from '../ui/Page';
import { useSignIn } from './useSignIn';
import './auth.css';

const LANGUAGES = ['en', 'fr', 'es', 'de', 'it', 'pt', 'ja', 'ko', 'hi', 'zh'];

export default function SignupPage() {
  const api = useApi();
  const location = useLocation();
  const browserLanguage = (navigator.language || 'en').split('-')[0]!;
  const [form, setForm] = useState({ email: '', password: '', displayName: '', preferredLanguage: LANGUAGES.includes(browserLanguage) ? browserLanguage : 'en' });
  const [genres, setGenres] = useState<string[]>([]);
  const allGenres = useQuery({ queryKey: ['genres'], queryFn: () => api.movies.genres(), staleTime: 10 * 60_000 });
  const signUp = useSignIn(api.auth.register);
  const err = signUp.error instanceof ApiError ? signUp.error : undefined;
  const set = (field: keyof typeof form) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [field]: e.target.value }));

  const submit = (e: FormEvent) => {
    e.preventDefault();
    signUp.mutate({ ...form, favouriteGenres: genres });
  };
  const toggleGenre = (g: string) => setGenres((cur) => (cur.includes(g) ? cur.filter((x) => x !== g) : cur.length >= 5 ? cur : [...cur, g]));

  return (
    <Page title="Create your account" className="auth-page">
      <form className="auth-card card" onSubmit={submit} noValidate>
        {signUp.error && !err?.fieldViolations.length ? <ErrorBanner error={signUp.error} /> : null}
        <TextField label="Your name" name="displayName" autoComplete="name" value={form.displayName} onChange={set('displayName')} error={err?.fieldError('displayName')} />
        <TextField label="E-mail" type="email" name="email" autoComplete="email" required value={form.email} onChange={set('email')} error={err?.fieldError('email')} />
        <TextField
          label="Password"
          type="password"
          name="password"
          autoComplete="new-password"
          required
          value={form.password}
          onChange={set('password')}
          hint="At least 10 characters. A few unrelated words make a strong one."
          error={err?.fieldError('password')}
        />
        <SelectField label="Language" name="preferredLanguage" value={form.preferredLanguage} onChange={set('preferredLanguage')} error={err?.fieldError('preferredLanguage')}>
          {LANGUAGES.map((l) => (
            <option key={l} value={l}>
              {languageName(l)}
            </option>
          ))}
        </SelectField>
        {allGenres.data?.genres.length ? (
          <fieldset className="genre-picker">
            <legend>Genres you like (up to 5, optional)</legend>
            <div className="chips">
              {allGenres.data.genres.slice(0, 16).map((g) => (
                <label key={g.name} className={`chip${genres.includes(g.name) ? ' chip-on' : ''}`}>
                  <input type="checkbox" checked={genres.includes(g.name)} onChange={() => toggleGenre(g.name)} />
                  {g.name}
                </label>
              ))}
            </div>
            {err?.fieldError('favouriteGenres') ? <p className="field-error">{err.fieldError('favouriteGenres')}</p> : null}
          </fieldset>
        ) : null}
        <Button type="submit" variant="primary" busy={signUp.isPending} className="auth-submit">
          Create account
        </Button>
        <p className="muted auth-switch">
          Already have an account? <Link to="/login" state={location.state}>Sign in</Link>
        </p>
      </form>
    </Page>
  );
}
