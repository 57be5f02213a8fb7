import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeFetch, renderWithFetch, status, VIEWER } from '../test/fetch-api';
import SecurityPage from './SecurityPage';

afterEach(() => vi.unstubAllGlobals());

const DEVICES = {
  devices: [
    { id: 'fam-1', name: 'Chrome on Linux', approximateLocation: '203.0.113.0/24', lastUseTime: '2030-01-02T10:00:00Z', createTime: '2030-01-01T10:00:00Z', current: true },
    { id: 'fam-2', name: 'Safari on iOS', approximateLocation: '198.51.100.0/24', lastUseTime: '2030-01-01T08:00:00Z', createTime: '2029-12-01T10:00:00Z' },
  ],
  nextPageToken: '',
};

const section = (name: string) => screen.getByRole('region', { name });
const type = (within: HTMLElement, label: string, value: string) => fireEvent.change(within.querySelector(`input[name="${label}"]`)!, { target: { value } });

describe('SecurityPage', () => {
  it('lists the devices, most recent first, marking this one, and signs another one out after asking', async () => {
    let devices = DEVICES;
    const api = fakeFetch({
      'GET /v1/users/me/devices': () => devices,
      'DELETE /v1/users/me/devices/fam-2': () => {
        devices = { ...DEVICES, devices: [DEVICES.devices[0]!] };
        return {};
      },
    });
    renderWithFetch(<SecurityPage />, { path: '/account/security', url: '/account/security' });
    const items = await within(section('Devices')).findAllByTestId('device');
    expect(items.map((li) => li.querySelector('.device-name')?.textContent)).toEqual(['Chrome on LinuxThis device', 'Safari on iOS']);
    expect(items[0]!.textContent).toContain('Near 203.0.113.0/24');
    expect(items[0]!.textContent).toContain('Last used');

    fireEvent.click(screen.getByRole('button', { name: 'Sign out Safari on iOS' }));
    fireEvent.click(screen.getByRole('button', { name: 'Sign out Safari on iOS' })); // the confirmation's own button
    await waitFor(() => expect(within(section('Devices')).getAllByTestId('device')).toHaveLength(1));
    expect(within(section('Devices')).getByRole('status').textContent).toBe('Safari on iOS is signed out.');
    expect(api.called('DELETE /v1/users/me/devices/fam-2')).toHaveLength(1);
    expect(document.activeElement).toBe(screen.getByRole('heading', { name: 'Devices' }));
  });

  it('changes the password and says how many other devices were signed out', async () => {
    const api = fakeFetch({ 'GET /v1/users/me/devices': DEVICES, 'POST /v1/users/me/password:change': { revokedSessions: 2 } });
    renderWithFetch(<SecurityPage />, { path: '/account/security', url: '/account/security' });
    const form = screen.getByRole('form', { name: 'Change password' });
    type(form, 'currentPassword', 'old passphrase here');
    type(form, 'newPassword', 'a brand new passphrase');
    fireEvent.click(within(form).getByRole('button', { name: 'Change password' }));
    await waitFor(() => expect(within(section('Password')).getByRole('status').textContent).toBe('Your password is changed. 2 other devices were signed out.'));
    expect(api.called('POST /v1/users/me/password:change')[0]?.body).toEqual({ currentPassword: 'old passphrase here', newPassword: 'a brand new passphrase' });
    // The devices list is asked again (the others are gone).
    await waitFor(() => expect(api.called('GET /v1/users/me/devices').length).toBe(2));
  });

  it('shows a wrong current password on its field and moves focus to it', async () => {
    fakeFetch({
      'GET /v1/users/me/devices': DEVICES,
      'POST /v1/users/me/password:change': status(400, 3, 'currentPassword: is not your password', [{ field: 'current_password', description: 'is not your password' }]),
    });
    renderWithFetch(<SecurityPage />, { path: '/account/security', url: '/account/security' });
    const form = screen.getByRole('form', { name: 'Change password' });
    type(form, 'currentPassword', 'wrong');
    type(form, 'newPassword', 'a brand new passphrase');
    fireEvent.click(within(form).getByRole('button', { name: 'Change password' }));
    expect(await within(form).findByText('is not your password')).toBeTruthy();
    await waitFor(() => expect(document.activeElement).toBe(within(form).getByLabelText('Current password')));
  });

  it('changes the e-mail address; the new one shows as not verified, with a resend', async () => {
    const api = fakeFetch({
      'GET /v1/users/me/devices': DEVICES,
      // As the gateway sends it: proto3 JSON leaves emailVerified=false out.
      'POST /v1/users/me/email:change': { ...VIEWER, email: 'new@example.com', emailVerified: undefined },
      'POST /v1/users/me/email:sendVerification': {},
    });
    renderWithFetch(<SecurityPage />, { path: '/account/security', url: '/account/security' });
    expect(within(section('E-mail address')).getByText('Verified')).toBeTruthy();
    const form = screen.getByRole('form', { name: 'Change e-mail address' });
    type(form, 'newEmail', 'new@example.com');
    type(form, 'emailPassword', 'my passphrase');
    fireEvent.click(within(form).getByRole('button', { name: 'Change e-mail address' }));
    expect(await within(section('E-mail address')).findByText(/Your e-mail address is now new@example.com/)).toBeTruthy();
    expect(screen.getByTestId('current-email').textContent).toBe('new@example.com');
    expect(within(section('E-mail address')).getByText('Not verified')).toBeTruthy();
    expect(api.called('POST /v1/users/me/email:change')[0]?.body).toEqual({ newEmail: 'new@example.com', currentPassword: 'my passphrase' });
    fireEvent.click(screen.getByRole('button', { name: 'Resend e-mail' }));
    expect(await within(section('E-mail address')).findByText('We sent a new verification link to new@example.com.')).toBeTruthy();
  });

  it('signs out everywhere (Logout with all sessions) and goes to sign in', async () => {
    fakeFetch({ 'GET /v1/users/me/devices': DEVICES });
    const { logout } = renderWithFetch(<SecurityPage />, { path: '/account/security', url: '/account/security' });
    await within(section('Devices')).findAllByTestId('device');
    fireEvent.click(screen.getByRole('button', { name: 'Sign out everywhere' }));
    fireEvent.click(screen.getByRole('button', { name: 'Yes, sign out everywhere' }));
    expect((await screen.findByTestId('elsewhere')).textContent).toBe('/login — You are signed out on every device.');
    expect(logout).toHaveBeenCalledWith('test-token', true);
  });
});
