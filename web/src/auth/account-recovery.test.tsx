import { fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeFetch, renderWithFetch, status, VIEWER } from '../test/fetch-api';
import ForgotPasswordPage from './ForgotPasswordPage';
import ResetPasswordPage from './ResetPasswordPage';
import VerifyEmailPage from './VerifyEmailPage';

afterEach(() => vi.unstubAllGlobals());

const type = (label: string | RegExp, value: string) => fireEvent.change(screen.getByLabelText(label), { target: { value } });

describe('ForgotPasswordPage', () => {
  it('asks for the link without signing in and always shows the same confirmation', async () => {
    const api = fakeFetch({ 'POST /v1/auth/password:forgot': {} });
    renderWithFetch(<ForgotPasswordPage />, { path: '/forgot-password', url: '/forgot-password', user: null });
    type('E-mail', ' nobody@example.com ');
    fireEvent.click(screen.getByRole('button', { name: 'Send the link' }));
    const confirmation = await screen.findByTestId('forgot-confirmation');
    expect(confirmation.textContent).toContain('If an account uses nobody@example.com, we have sent it a link');
    expect(document.activeElement).toBe(screen.getByRole('heading', { name: 'Check your inbox' }));
    const [call] = api.called('POST /v1/auth/password:forgot');
    expect(call?.body).toEqual({ email: 'nobody@example.com' });
    expect(call?.authorization).toBeNull();
  });

  it('shows the API\'s refusal next to the field and moves focus there', async () => {
    fakeFetch({ 'POST /v1/auth/password:forgot': status(400, 3, 'email: not an e-mail address', [{ field: 'email', description: 'is not an e-mail address' }]) });
    renderWithFetch(<ForgotPasswordPage />, { path: '/forgot-password', url: '/forgot-password', user: null });
    type('E-mail', 'ann@');
    fireEvent.click(screen.getByRole('button', { name: 'Send the link' }));
    expect(await screen.findByText('is not an e-mail address')).toBeTruthy();
    await waitFor(() => expect(document.activeElement).toBe(screen.getByLabelText('E-mail')));
    expect(screen.getByLabelText('E-mail').getAttribute('aria-invalid')).toBe('true');
    expect(screen.queryByTestId('forgot-confirmation')).toBeNull();
  });
});

describe('ResetPasswordPage', () => {
  const url = '/reset-password?token=tok-123';

  it('refuses two different passwords without calling the API, naming the confirmation field', async () => {
    const api = fakeFetch({});
    renderWithFetch(<ResetPasswordPage />, { path: '/reset-password', url, user: null });
    type('New password', 'a long new passphrase');
    type('Confirm new password', 'a long new passphrasf');
    fireEvent.click(screen.getByRole('button', { name: 'Change password' }));
    expect(await screen.findByText(/The two passwords are not the same/)).toBeTruthy();
    expect(document.activeElement).toBe(screen.getByLabelText('Confirm new password'));
    expect(api.calls).toEqual([]);
  });

  it('sets the new password with the link\'s token, then sends the person to sign in', async () => {
    const api = fakeFetch({ 'POST /v1/auth/password:reset': { revokedSessions: 3 } });
    renderWithFetch(<ResetPasswordPage />, { path: '/reset-password', url, user: null });
    type('New password', 'a long new passphrase');
    type('Confirm new password', 'a long new passphrase');
    fireEvent.click(screen.getByRole('button', { name: 'Change password' }));
    expect((await screen.findByTestId('elsewhere')).textContent).toBe('/login — Your password is changed and every device was signed out. Sign in with your new password.');
    expect(api.called('POST /v1/auth/password:reset')[0]?.body).toEqual({ token: 'tok-123', newPassword: 'a long new passphrase' });
  });

  it('shows a weak password\'s refusal on the field', async () => {
    fakeFetch({ 'POST /v1/auth/password:reset': status(400, 3, 'newPassword: too short', [{ field: 'new_password', description: 'must be at least 10 characters' }]) });
    renderWithFetch(<ResetPasswordPage />, { path: '/reset-password', url, user: null });
    type('New password', 'short');
    type('Confirm new password', 'short');
    fireEvent.click(screen.getByRole('button', { name: 'Change password' }));
    expect(await screen.findByText('must be at least 10 characters')).toBeTruthy();
    await waitFor(() => expect(document.activeElement).toBe(screen.getByLabelText('New password')));
  });

  it('says an expired or used link cannot work, with a way to ask for a new one', async () => {
    fakeFetch({ 'POST /v1/auth/password:reset': status(400, 9, 'token: the reset link has expired', [], 'RESET_TOKEN_EXPIRED') });
    renderWithFetch(<ResetPasswordPage />, { path: '/reset-password', url, user: null });
    type('New password', 'a long new passphrase');
    type('Confirm new password', 'a long new passphrase');
    fireEvent.click(screen.getByRole('button', { name: 'Change password' }));
    expect(await screen.findByRole('heading', { name: 'This link has expired or was already used', level: 1 })).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Ask for a new link' }).getAttribute('href')).toBe('/forgot-password');
  });

  it('says so when the link has no token', () => {
    fakeFetch({});
    renderWithFetch(<ResetPasswordPage />, { path: '/reset-password', url: '/reset-password', user: null });
    expect(screen.getByRole('heading', { name: 'This link is incomplete' })).toBeTruthy();
  });
});

describe('VerifyEmailPage', () => {
  it('verifies once on load and says so; the signed-in session learns the address is verified', async () => {
    const api = fakeFetch({ 'POST /v1/auth/email:verify': { ...VIEWER, emailVerified: true } });
    const { session } = renderWithFetch(<VerifyEmailPage />, { path: '/verify-email', url: '/verify-email?token=v-1', user: { ...VIEWER, emailVerified: false } });
    expect(await screen.findByRole('heading', { name: 'Your e-mail address is verified' })).toBeTruthy();
    expect(screen.getByTestId('verify-result').textContent).toContain('ann@example.com is confirmed');
    expect(api.called('POST /v1/auth/email:verify').map((c) => c.body)).toEqual([{ token: 'v-1' }]);
    const state = session.getState();
    expect(state.status === 'signed-in' && state.user.emailVerified).toBe(true);
    expect(screen.getByRole('link', { name: 'Continue to Flix' })).toBeTruthy();
  });

  it('offers a new link when this one has expired', async () => {
    const api = fakeFetch({
      'POST /v1/auth/email:verify': status(400, 9, 'token: expired or already used', [{ field: 'token', description: 'expired or already used' }]),
      'POST /v1/users/me/email:sendVerification': {},
    });
    renderWithFetch(<VerifyEmailPage />, { path: '/verify-email', url: '/verify-email?token=old', user: { ...VIEWER, emailVerified: false } });
    expect(await screen.findByRole('heading', { name: 'This link has expired or was already used' })).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Send a new link' }));
    expect(await screen.findByText('A new link is on its way to ann@example.com.')).toBeTruthy();
    expect(api.called('POST /v1/users/me/email:sendVerification')[0]?.authorization).toBe('Bearer test-token');
  });

  it('works signed out too, and then offers to sign in', async () => {
    fakeFetch({ 'POST /v1/auth/email:verify': { ...VIEWER, emailVerified: true } });
    renderWithFetch(<VerifyEmailPage />, { path: '/verify-email', url: '/verify-email?token=v-2', user: null });
    expect(await screen.findByRole('heading', { name: 'Your e-mail address is verified' })).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Sign in' }).getAttribute('href')).toBe('/login');
  });
});
