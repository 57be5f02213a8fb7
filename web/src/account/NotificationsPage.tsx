import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import type { NotificationPreferences } from '../api/client';
import { useApi } from '../app/services';
import { formatDateTime } from '../lib/format';
import { Button } from '../ui/Button';
import { ErrorBanner, Spinner } from '../ui/Feedback';
import { Page } from '../ui/Page';
import { AccountNav } from './AccountNav';
import { CATEGORY_LABELS, categoryName } from './categories';
import './account.css';
import './settings.css';

export const preferencesKey = ['notification-preferences'] as const;
type Switches = { reminders: boolean; productNews: boolean };

/** Which e-mails Flix may send: the optional ones can be turned off, the transactional ones are listed. */
export default function NotificationsPage() {
  const api = useApi();
  const queryClient = useQueryClient();
  const prefs = useQuery({ queryKey: preferencesKey, queryFn: () => api.notifications.preferences() });
  const [switches, setSwitches] = useState<Switches>();
  const [saved, setSaved] = useState('');
  useEffect(() => {
    if (prefs.data) setSwitches({ reminders: !!prefs.data.reminders, productNews: !!prefs.data.productNews });
  }, [prefs.data]);
  const save = useMutation({
    mutationFn: (next: Switches) => api.notifications.updatePreferences(next, ['reminders', 'productNews']),
    onSuccess: (next: NotificationPreferences) => {
      queryClient.setQueryData(preferencesKey, next);
      setSaved('Your e-mail preferences are saved.');
    },
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!switches) return;
    setSaved('');
    save.mutate(switches);
  };
  const toggle = (key: keyof Switches) => {
    setSaved('');
    setSwitches((s) => (s ? { ...s, [key]: !s[key] } : s));
  };

  let body;
  if (prefs.isPending || (!switches && !prefs.isError)) body = <Spinner label="Loading your e-mail preferences" />;
  else if (prefs.isError || !switches) {
    body = (
      <ErrorBanner error={prefs.error} title="Your e-mail preferences could not be loaded">
        <Button onClick={() => void prefs.refetch()}>Try again</Button>
      </ErrorBanner>
    );
  } else {
    const always = prefs.data?.transactionalCategories ?? [];
    body = (
      <form onSubmit={submit} noValidate aria-label="E-mail preferences">
        <fieldset className="settings-fieldset">
          <legend>E-mails you can turn off</legend>
          <Switch label={CATEGORY_LABELS.reminders!.name} about={CATEGORY_LABELS.reminders!.about} checked={switches.reminders} onChange={() => toggle('reminders')} />
          <Switch label={CATEGORY_LABELS.product_news!.name} about={CATEGORY_LABELS.product_news!.about} checked={switches.productNews} onChange={() => toggle('productNews')} />
        </fieldset>
        <div role="status" className="account-announcement">
          {saved}
        </div>
        {save.isError ? <ErrorBanner error={save.error} title="Your preferences could not be saved" /> : null}
        <Button type="submit" variant="primary" busy={save.isPending}>
          Save preferences
        </Button>
        {prefs.data?.updateTime ? <p className="muted account-more">Last changed {formatDateTime(prefs.data.updateTime)}.</p> : null}
        {always.length ? (
          <>
            <h2 className="section-title settings-subhead">Always sent</h2>
            <p className="muted">These are part of having an account, so they cannot be turned off:</p>
            <ul className="consequences">
              {always.map((c) => (
                <li key={c}>
                  <strong>{categoryName(c)}</strong>
                  {CATEGORY_LABELS[c] ? ` — ${CATEGORY_LABELS[c].about}` : ''}
                </li>
              ))}
            </ul>
          </>
        ) : null}
      </form>
    );
  }

  return (
    <Page title="E-mail preferences" className="account-page settings-page">
      <AccountNav />
      <section className="card account-section">{body}</section>
    </Page>
  );
}

function Switch({ label, about, checked, onChange }: { label: string; about: string; checked: boolean; onChange: () => void }) {
  return (
    <label className="switch-row">
      <input type="checkbox" role="switch" checked={checked} onChange={onChange} />
      <span className="switch-text">
        <strong>{label}</strong>
        <span className="muted">{about}</span>
      </span>
    </label>
  );
}
