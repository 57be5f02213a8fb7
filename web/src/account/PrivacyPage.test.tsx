import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeFetch, renderWithFetch, status } from '../test/fetch-api';
import PrivacyPage, { DELETE_PHRASE } from './PrivacyPage';

const ARCHIVE = {
  userId: 'u1',
  createTime: '2030-05-06T07:08:09Z',
  parts: [
    { service: 'identity', data: { user: { email: 'ann@example.com' } } },
    { service: 'billing', data: { payments: [] } },
  ],
};

let saved: { name: string; blob: Blob }[];
beforeEach(() => {
  saved = [];
  let blob: Blob | undefined;
  // jsdom has no object URLs nor downloads: catch the file the page hands to the browser.
  URL.createObjectURL = vi.fn((b: Blob) => ((blob = b), 'blob:flix-export'));
  URL.revokeObjectURL = vi.fn();
  vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
    saved.push({ name: this.download, blob: blob! });
  });
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

const type = (label: string | RegExp, value: string) => fireEvent.change(screen.getByLabelText(label), { target: { value } });

describe('PrivacyPage', () => {
  it('downloads the data export as a dated JSON file', async () => {
    const api = fakeFetch({ 'GET /v1/users/me:export': ARCHIVE });
    renderWithFetch(<PrivacyPage />, { path: '/account/privacy', url: '/account/privacy' });
    fireEvent.click(screen.getByRole('button', { name: 'Download my data' }));
    expect(await screen.findByText('Your data is saved as flix-data-2030-05-06.json.')).toBeTruthy();
    expect(saved).toHaveLength(1);
    expect(saved[0]!.name).toBe('flix-data-2030-05-06.json');
    expect(saved[0]!.blob.type).toBe('application/json');
    expect(JSON.parse(await saved[0]!.blob.text())).toEqual(ARCHIVE);
    expect(api.called('GET /v1/users/me:export')[0]?.authorization).toBe('Bearer test-token');
  });

  it('says which service could not answer when the export fails', async () => {
    fakeFetch({ 'GET /v1/users/me:export': status(503, 14, 'billing did not answer; try again in a moment') });
    renderWithFetch(<PrivacyPage />, { path: '/account/privacy', url: '/account/privacy' });
    fireEvent.click(screen.getByRole('button', { name: 'Download my data' }));
    expect((await screen.findByRole('alert')).textContent).toContain('Your data could not be gathered');
    expect(saved).toEqual([]);
  });

  it('explains what deletion does and refuses a wrong confirmation phrase before calling the API', async () => {
    const api = fakeFetch({});
    renderWithFetch(<PrivacyPage />, { path: '/account/privacy', url: '/account/privacy' });
    const zone = screen.getByRole('region', { name: 'Delete my account' });
    expect(zone.textContent).toContain('cannot be undone');
    expect(zone.textContent).toContain('subscription is cancelled straight away');
    type('Your password', 'my passphrase');
    type(`Type ${DELETE_PHRASE} to confirm`, 'delete my account');
    fireEvent.click(within(zone).getByRole('button', { name: 'Delete my account' }));
    expect(await within(zone).findByText(/Type DELETE MY ACCOUNT exactly/)).toBeTruthy();
    expect(document.activeElement).toBe(screen.getByLabelText(`Type ${DELETE_PHRASE} to confirm`));
    expect(api.calls).toEqual([]);
  });

  it('shows a wrong password on its field', async () => {
    fakeFetch({ 'POST /v1/users/me:delete': status(400, 3, 'currentPassword: is not your password', [{ field: 'currentPassword', description: 'is not your password' }]) });
    renderWithFetch(<PrivacyPage />, { path: '/account/privacy', url: '/account/privacy' });
    type('Your password', 'wrong');
    type(`Type ${DELETE_PHRASE} to confirm`, DELETE_PHRASE);
    fireEvent.click(within(screen.getByRole('region', { name: 'Delete my account' })).getByRole('button', { name: 'Delete my account' }));
    expect(await screen.findByText('is not your password')).toBeTruthy();
    await waitFor(() => expect(document.activeElement).toBe(screen.getByLabelText('Your password')));
  });

  it('deletes the account, signs out and goes home with a notice', async () => {
    const api = fakeFetch({ 'POST /v1/users/me:delete': { deleteTime: '2030-05-06T07:08:09Z' } });
    const { logout, session } = renderWithFetch(<PrivacyPage />, { path: '/account/privacy', url: '/account/privacy' });
    type('Your password', 'my passphrase');
    type(`Type ${DELETE_PHRASE} to confirm`, DELETE_PHRASE);
    fireEvent.click(within(screen.getByRole('region', { name: 'Delete my account' })).getByRole('button', { name: 'Delete my account' }));
    expect((await screen.findByTestId('elsewhere')).textContent).toMatch(/^\/ — Your account is deleted\./);
    expect(api.called('POST /v1/users/me:delete')[0]?.body).toEqual({ currentPassword: 'my passphrase', confirmation: DELETE_PHRASE });
    expect(logout).toHaveBeenCalledTimes(1);
    expect(session.getState().status).toBe('signed-out');
  });
});
