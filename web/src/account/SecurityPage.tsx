import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useRef, useState, type FormEvent, type ReactNode, type Ref } from 'react';
import { useNavigate } from 'react-router';
import type { Device } from '../api/gen/flix/identity/v1/resources';
import { useApi, useSession, useSessionState } from '../app/services';
import { formatDate, formatDateTime } from '../lib/format';
import { Button } from '../ui/Button';
import { ErrorBanner, Spinner } from '../ui/Feedback';
import { TextField } from '../ui/Field';
import { fieldErrorOf, needsBanner, useFocusFirstError } from '../ui/form-errors';
import { Page } from '../ui/Page';
import { AccountNav } from './AccountNav';
import { ConfirmAction } from './ConfirmAction';
import './account.css';
import './settings.css';

export const devicesKey = ['account', 'devices'] as const;

/** Account security: the e-mail address (and its verification), the password, and the devices signed in. */
export default function SecurityPage() {
  return (
    <Page title="Security" className="account-page settings-page">
      <AccountNav />
      <EmailSection />
      <PasswordSection />
      <DevicesSection />
    </Page>
  );
}

function Section({ title, children, headingRef }: { title: string; children: ReactNode; headingRef?: Ref<HTMLHeadingElement> }) {
  const id = useId();
  return (
    <section className="card account-section" aria-labelledby={id}>
      <div className="account-section-head">
        <h2 className="section-title" id={id} tabIndex={-1} ref={headingRef}>
          {title}
        </h2>
      </div>
      {children}
    </section>
  );
}

/** Said politely, once: the section's result for screen readers and everyone else. */
function Announcement({ children }: { children: ReactNode }) {
  return (
    <div role="status" className="account-announcement">
      {children}
    </div>
  );
}

// ------------------------------------------------------------------ e-mail

function EmailSection() {
  const api = useApi();
  const session = useSession();
  const state = useSessionState();
  const user = state.status === 'signed-in' ? state.user : undefined;
  const [newEmail, setNewEmail] = useState('');
  const [password, setPassword] = useState('');
  const [announcement, setAnnouncement] = useState('');
  const formRef = useRef<HTMLFormElement>(null);
  const resend = useMutation({
    mutationFn: () => api.account.sendVerificationEmail(),
    onSuccess: () => setAnnouncement(`We sent a new verification link to ${user?.email ?? 'your address'}.`),
  });
  const change = useMutation({
    mutationFn: () => api.account.changeEmail(newEmail.trim(), password),
    onSuccess: (next) => {
      // proto3 JSON leaves false out: an absent emailVerified means not verified.
      if (user) session.updateUser({ ...user, ...next, emailVerified: !!next.emailVerified });
      setNewEmail('');
      setPassword('');
      setAnnouncement(`Your e-mail address is now ${next.email}. We sent a link to it: open it to verify the address.`);
    },
  });
  useFocusFirstError(formRef, change.error);
  if (!user) return null;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setAnnouncement('');
    change.mutate();
  };

  return (
    <Section title="E-mail address">
      <Announcement>{announcement}</Announcement>
      <p className="settings-lead">
        <strong data-testid="current-email">{user.email}</strong>{' '}
        {user.emailVerified ? <span className="badge badge-ok">Verified</span> : <span className="badge badge-warn">Not verified</span>}
      </p>
      {!user.emailVerified ? (
        <div className="row-actions settings-lead">
          <p className="muted settings-inline">
            Open the link we e-mailed you to verify this address.
          </p>
          <Button busy={resend.isPending} onClick={() => resend.mutate()}>
            Resend e-mail
          </Button>
        </div>
      ) : null}
      {resend.isError ? <ErrorBanner error={resend.error} title="The verification e-mail could not be sent" /> : null}
      <form ref={formRef} className="settings-form" onSubmit={submit} noValidate aria-label="Change e-mail address">
        {needsBanner(change.error, ['newEmail', 'currentPassword']) ? <ErrorBanner error={change.error} title="Your e-mail address could not be changed" /> : null}
        <TextField
          label="New e-mail address"
          type="email"
          name="newEmail"
          autoComplete="email"
          required
          value={newEmail}
          onChange={(e) => setNewEmail(e.target.value)}
          error={fieldErrorOf(change.error, 'newEmail')}
        />
        <TextField
          label="Your password"
          type="password"
          name="emailPassword"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          hint="To make sure it is you."
          error={fieldErrorOf(change.error, 'currentPassword')}
        />
        <Button type="submit" busy={change.isPending}>
          Change e-mail address
        </Button>
      </form>
    </Section>
  );
}

// ------------------------------------------------------------------ password

function PasswordSection() {
  const api = useApi();
  const queryClient = useQueryClient();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [announcement, setAnnouncement] = useState('');
  const formRef = useRef<HTMLFormElement>(null);
  const change = useMutation({
    mutationFn: () => api.account.changePassword(current, next),
    onSuccess: async (res) => {
      setCurrent('');
      setNext('');
      const others = res.revokedSessions ?? 0;
      setAnnouncement(`Your password is changed.${others > 0 ? ` ${others === 1 ? '1 other device was' : `${others} other devices were`} signed out.` : ''}`);
      await queryClient.invalidateQueries({ queryKey: devicesKey });
    },
  });
  useFocusFirstError(formRef, change.error);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setAnnouncement('');
    change.mutate();
  };

  return (
    <Section title="Password">
      <Announcement>{announcement}</Announcement>
      <form ref={formRef} className="settings-form" onSubmit={submit} noValidate aria-label="Change password">
        {needsBanner(change.error, ['currentPassword', 'newPassword']) ? <ErrorBanner error={change.error} title="Your password could not be changed" /> : null}
        <TextField
          label="Current password"
          type="password"
          name="currentPassword"
          autoComplete="current-password"
          required
          value={current}
          onChange={(e) => setCurrent(e.target.value)}
          error={fieldErrorOf(change.error, 'currentPassword')}
        />
        <TextField
          label="New password"
          type="password"
          name="newPassword"
          autoComplete="new-password"
          required
          value={next}
          onChange={(e) => setNext(e.target.value)}
          hint="At least 10 characters. Your other devices are signed out; this one stays signed in."
          error={fieldErrorOf(change.error, 'newPassword')}
        />
        <Button type="submit" busy={change.isPending}>
          Change password
        </Button>
      </form>
    </Section>
  );
}

// ------------------------------------------------------------------ devices

function DevicesSection() {
  const api = useApi();
  const session = useSession();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const headingRef = useRef<HTMLHeadingElement>(null);
  const [announcement, setAnnouncement] = useState('');
  const devices = useQuery({ queryKey: devicesKey, queryFn: () => api.account.devices({ pageSize: 100 }) });

  const signedOutHere = async (notice: string, all: boolean) => {
    await session.logout(all).catch(() => undefined);
    queryClient.clear();
    navigate('/login', { replace: true, state: { notice } });
  };

  const signOut = async (d: Device) => {
    if (d.current) return signedOutHere('You are signed out.', false);
    await api.account.signOutDevice(d.id);
    await queryClient.invalidateQueries({ queryKey: devicesKey });
    setAnnouncement(`${deviceName(d)} is signed out.`);
  };

  let body: ReactNode;
  if (devices.isPending) body = <Spinner label="Loading your devices" />;
  else if (devices.isError) {
    body = (
      <ErrorBanner error={devices.error} title="Your devices could not be loaded">
        <Button onClick={() => void devices.refetch()}>Try again</Button>
      </ErrorBanner>
    );
  } else {
    const list = devices.data.devices ?? [];
    body = list.length ? (
      <ul className="account-list" aria-label="Signed-in devices">
        {list.map((d) => (
          <DeviceItem key={d.id} device={d} onSignOut={() => signOut(d)} onDone={() => headingRef.current?.focus()} />
        ))}
      </ul>
    ) : (
      <p className="muted">No device is signed in.</p>
    );
  }

  return (
    <Section title="Devices" headingRef={headingRef}>
      <p className="muted settings-lead">Where your account is signed in, most recently used first. Sign out anything you do not recognise, then change your password.</p>
      <Announcement>{announcement}</Announcement>
      {body}
      <div className="row-actions account-more">
        <ConfirmAction
          label="Sign out everywhere"
          variant="danger"
          prompt={<>Sign out of Flix on every device, this one included? Each device will ask for your password again.</>}
          confirmLabel="Yes, sign out everywhere"
          cancelLabel="Stay signed in"
          onConfirm={() => signedOutHere('You are signed out on every device.', true)}
        />
      </div>
    </Section>
  );
}

const deviceName = (d: Device) => d.name || 'Unknown device';

function DeviceItem({ device: d, onSignOut, onDone }: { device: Device; onSignOut: () => Promise<unknown>; onDone: () => void }) {
  const name = deviceName(d);
  const meta = [d.approximateLocation ? `Near ${d.approximateLocation}` : '', d.lastUseTime ? `Last used ${formatDateTime(d.lastUseTime)}` : '', d.createTime ? `Signed in ${formatDate(d.createTime)}` : '']
    .filter(Boolean)
    .join(' · ');
  return (
    <li className="account-item device-item" data-testid="device">
      <div className="device-main">
        <span className="device-name">
          {name}
          {d.current ? <span className="badge badge-ok">This device</span> : null}
        </span>
        {meta ? <span className="muted device-meta">{meta}</span> : null}
      </div>
      <span className="device-actions">
        <ConfirmAction
          label="Sign out"
          accessibleLabel={`Sign out ${name}${d.current ? ' (this device)' : ''}`}
          variant="ghost"
          prompt={d.current ? <>Sign out of Flix on this device?</> : <>Sign out {name}? It will ask for the password again.</>}
          confirmLabel={`Sign out ${name}`}
          cancelLabel="Keep it signed in"
          onConfirm={onSignOut}
          onDone={onDone}
        />
      </span>
    </li>
  );
}
