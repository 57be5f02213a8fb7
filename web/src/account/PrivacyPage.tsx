import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { useNavigate } from 'react-router';
import type { DataExport } from '../api/gen/flix/identity/v1/identity_service';
import { useApi, useSession } from '../app/services';
import { Button } from '../ui/Button';
import { ErrorBanner } from '../ui/Feedback';
import { TextField } from '../ui/Field';
import { fieldErrorOf, needsBanner, useFocusFirstError } from '../ui/form-errors';
import { Page } from '../ui/Page';
import { AccountNav } from './AccountNav';
import './account.css';
import './settings.css';

/** What DeleteAccount requires typed, exactly (identity refuses anything else). */
export const DELETE_PHRASE = 'DELETE MY ACCOUNT';

/** Your data: take a copy of everything Flix holds about you, or close the account for good. */
export default function PrivacyPage() {
  return (
    <Page title="Privacy" className="account-page settings-page">
      <AccountNav />
      <ExportSection />
      <DeleteSection />
    </Page>
  );
}

function Section({ title, className, children }: { title: string; className?: string; children: ReactNode }) {
  const id = useId();
  return (
    <section className={`card account-section${className ? ` ${className}` : ''}`} aria-labelledby={id}>
      <div className="account-section-head">
        <h2 className="section-title" id={id}>
          {title}
        </h2>
      </div>
      {children}
    </section>
  );
}

/** The archive's file name: the day it was made, so several downloads do not overwrite each other. */
export function exportFileName(archive: DataExport, now = new Date()): string {
  const day = (archive.createTime ? new Date(archive.createTime) : now).toISOString().slice(0, 10);
  return `flix-data-${day}.json`;
}

/** Saves `text` as a file through a temporary link: the browser's own download, no new tab. */
function saveFile(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  // After the click has handed the file to the browser.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function ExportSection() {
  const api = useApi();
  const [saved, setSaved] = useState('');
  const download = useMutation({
    mutationFn: () => api.account.exportData(),
    onSuccess: (archive) => {
      const name = exportFileName(archive);
      saveFile(name, `${JSON.stringify(archive, null, 2)}\n`);
      setSaved(`Your data is saved as ${name}.`);
    },
  });
  return (
    <Section title="Download my data">
      <p>
        A copy of everything Flix holds about you — your account, profiles, subscription and payments, what you watched, your ratings and lists — as one JSON file,
        gathered from every part of Flix.
      </p>
      <div role="status" className="account-announcement">
        {saved}
      </div>
      {download.isError ? <ErrorBanner error={download.error} title="Your data could not be gathered" /> : null}
      <Button variant="primary" busy={download.isPending} onClick={() => download.mutate()}>
        Download my data
      </Button>
    </Section>
  );
}

function DeleteSection() {
  const api = useApi();
  const session = useSession();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [password, setPassword] = useState('');
  const [phrase, setPhrase] = useState('');
  const [phraseError, setPhraseError] = useState<string>();
  const formRef = useRef<HTMLFormElement>(null);
  const remove = useMutation({
    mutationFn: () => api.account.deleteAccount(password, phrase),
    onSuccess: async () => {
      // The account is gone: its tokens are refused already; only this browser's state is left.
      await session.logout().catch(() => undefined);
      queryClient.clear();
      navigate('/', { replace: true, state: { notice: 'Your account is deleted. Everything Flix held about you is being erased. Thank you for watching with us.' } });
    },
  });
  useFocusFirstError(formRef, phraseError ?? remove.error);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (phrase !== DELETE_PHRASE) {
      setPhraseError(`Type ${DELETE_PHRASE} exactly, in capital letters, to confirm.`);
      return;
    }
    setPhraseError(undefined);
    remove.mutate();
  };

  return (
    <Section title="Delete my account" className="danger-zone">
      <p>Deleting your account closes it at once and cannot be undone:</p>
      <ul className="consequences">
        <li>Your subscription is cancelled straight away (not at the end of the period) and your rentals end.</li>
        <li>Every device is signed out and your profiles, viewing history, lists and preferences are erased.</li>
        <li>Your star ratings stay in titles&apos; averages without anything linking them to you; the text of your reviews is removed.</li>
        <li>Payment records kept for accounting no longer name you.</li>
      </ul>
      <p className="muted">Want a copy first? Download your data above before you continue.</p>
      <form ref={formRef} className="settings-form" onSubmit={submit} noValidate aria-label="Delete my account">
        {needsBanner(remove.error, ['currentPassword', 'confirmation']) ? <ErrorBanner error={remove.error} title="Your account could not be deleted" /> : null}
        <TextField
          label="Your password"
          type="password"
          name="deletePassword"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={fieldErrorOf(remove.error, 'currentPassword')}
        />
        <TextField
          label={`Type ${DELETE_PHRASE} to confirm`}
          name="confirmation"
          autoComplete="off"
          autoCapitalize="characters"
          spellCheck={false}
          required
          value={phrase}
          onChange={(e) => setPhrase(e.target.value)}
          error={phraseError ?? fieldErrorOf(remove.error, 'confirmation')}
        />
        <Button type="submit" variant="danger" busy={remove.isPending}>
          Delete my account
        </Button>
      </form>
    </Section>
  );
}
