import { fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeFetch, renderWithFetch, status } from '../test/fetch-api';
import ActivatePage from './ActivatePage';
import ConsentPage from './ConsentPage';
import { leaveFor } from './leave';

vi.mock('./leave', () => ({ leaveFor: vi.fn() }));
beforeEach(() => vi.mocked(leaveFor).mockClear());
afterEach(() => vi.unstubAllGlobals());

const QUERY = 'response_type=code&client_id=partner-app&redirect_uri=https%3A%2F%2Fpartner.example%2Fcallback&scope=profile%20catalog.read&state=xyz&code_challenge=abc&code_challenge_method=S256';
const REQUEST = {
  responseType: 'code',
  clientId: 'partner-app',
  redirectUri: 'https://partner.example/callback',
  scope: 'profile catalog.read',
  state: 'xyz',
  codeChallenge: 'abc',
  codeChallengeMethod: 'S256',
};
const PREVIEW = {
  client: { clientId: 'partner-app', displayName: 'Partner Films' },
  scopes: [
    { name: 'profile', description: 'See your name and e-mail address' },
    { name: 'catalog.read', description: 'Browse the catalogue' },
  ],
};

describe('ConsentPage', () => {
  it('shows who asks for what, and Allow sends the browser to the answer\'s redirect', async () => {
    const api = fakeFetch({
      'POST /v1/oauth/authorizations:preview': PREVIEW,
      'POST /v1/oauth/authorizations': { redirectTo: 'https://partner.example/callback?code=c1&state=xyz' },
    });
    renderWithFetch(<ConsentPage />, { path: '/oauth/consent', url: `/oauth/consent?${QUERY}` });
    expect(await screen.findByRole('heading', { name: 'Allow Partner Films to use your Flix account?' })).toBeTruthy();
    expect(screen.getByText('See your name and e-mail address')).toBeTruthy();
    expect(screen.getByText('partner.example')).toBeTruthy();
    expect(api.called('POST /v1/oauth/authorizations:preview')[0]?.body).toEqual(REQUEST);
    fireEvent.click(screen.getByRole('button', { name: 'Allow' }));
    await waitFor(() => expect(leaveFor).toHaveBeenCalledWith('https://partner.example/callback?code=c1&state=xyz'));
    expect(api.called('POST /v1/oauth/authorizations')[0]?.body).toEqual({ ...REQUEST, deny: false });
  });

  it('Deny sends the refusal (the client gets access_denied)', async () => {
    const api = fakeFetch({
      'POST /v1/oauth/authorizations:preview': PREVIEW,
      'POST /v1/oauth/authorizations': { redirectTo: 'https://partner.example/callback?error=access_denied&state=xyz' },
    });
    renderWithFetch(<ConsentPage />, { path: '/oauth/consent', url: `/oauth/consent?${QUERY}` });
    fireEvent.click(await screen.findByRole('button', { name: 'Deny' }));
    await waitFor(() => expect(leaveFor).toHaveBeenCalledWith('https://partner.example/callback?error=access_denied&state=xyz'));
    expect(api.called('POST /v1/oauth/authorizations')[0]?.body).toMatchObject({ deny: true });
  });

  it('goes on without asking for a first-party client (or one already allowed)', async () => {
    const api = fakeFetch({
      'POST /v1/oauth/authorizations:preview': { ...PREVIEW, client: { clientId: 'flix-tv', displayName: 'Flix for TV', firstParty: true } },
      'POST /v1/oauth/authorizations': { redirectTo: 'https://tv.flix.example/cb?code=c2' },
    });
    renderWithFetch(<ConsentPage />, { path: '/oauth/consent', url: `/oauth/consent?${QUERY}` });
    await waitFor(() => expect(leaveFor).toHaveBeenCalledWith('https://tv.flix.example/cb?code=c2'));
    expect(api.called('POST /v1/oauth/authorizations')).toHaveLength(1);
    expect(screen.queryByRole('button', { name: 'Allow' })).toBeNull();
  });

  it('shows a bad request\'s error naming the parameter and never redirects', async () => {
    fakeFetch({ 'POST /v1/oauth/authorizations:preview': status(400, 3, 'code_challenge_method: only S256 is accepted', [{ field: 'code_challenge_method', description: 'only S256 is accepted' }]) });
    renderWithFetch(<ConsentPage />, { path: '/oauth/consent', url: `/oauth/consent?${QUERY}` });
    expect((await screen.findByRole('alert')).textContent).toContain('Only S256 is accepted.');
    expect(screen.getByRole('heading', { name: 'This sign-in request cannot be used' })).toBeTruthy();
    expect(leaveFor).not.toHaveBeenCalled();
  });
});

const DEVICE = {
  userCode: 'WDJB-MJHT',
  client: { clientId: 'flix-tv', displayName: 'Flix for TV', firstParty: true },
  scopes: [{ name: 'playback', description: 'Watch on this device' }],
  state: 'DEVICE_AUTHORIZATION_STATE_PENDING',
  expireTime: '2030-01-01T10:10:00Z',
};

describe('ActivatePage', () => {
  it('formats the typed code, shows the app and scopes, and approves: "You can go back to your TV"', async () => {
    const api = fakeFetch({
      'GET /v1/oauth/device-authorizations/WDJB-MJHT': DEVICE,
      'POST /v1/oauth/device-authorizations/WDJB-MJHT:approve': { ...DEVICE, state: 'DEVICE_AUTHORIZATION_STATE_APPROVED' },
    });
    renderWithFetch(<ActivatePage />, { path: '/activate', url: '/activate' });
    const field = screen.getByLabelText('Code') as HTMLInputElement;
    fireEvent.change(field, { target: { value: 'wdjbmjht' } });
    expect(field.value).toBe('WDJB-MJHT');
    fireEvent.click(screen.getByRole('button', { name: 'Continue' }));
    expect(await screen.findByText('Flix for TV')).toBeTruthy();
    expect(screen.getByText('Watch on this device')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Approve' }));
    expect(await screen.findByRole('heading', { name: 'You can go back to your TV' })).toBeTruthy();
    expect(screen.getByTestId('device-result').textContent).toContain('Flix for TV is signed in as ann@example.com');
    expect(api.called('POST /v1/oauth/device-authorizations/WDJB-MJHT:approve')[0]?.body).toEqual({});
  });

  it('looks the code up at once from the link (verification_uri_complete), and Deny refuses', async () => {
    const api = fakeFetch({
      'GET /v1/oauth/device-authorizations/WDJB-MJHT': DEVICE,
      'POST /v1/oauth/device-authorizations/WDJB-MJHT:approve': { ...DEVICE, state: 'DEVICE_AUTHORIZATION_STATE_DENIED' },
    });
    renderWithFetch(<ActivatePage />, { path: '/activate', url: '/activate?user_code=wdjb-mjht' });
    fireEvent.click(await screen.findByRole('button', { name: 'Deny' }));
    expect(await screen.findByRole('heading', { name: 'The device was not signed in' })).toBeTruthy();
    expect(api.called('POST /v1/oauth/device-authorizations/WDJB-MJHT:approve')[0]?.body).toEqual({ deny: true });
  });

  it('says an unknown or expired code on the field, with focus there', async () => {
    fakeFetch({ 'GET /v1/oauth/device-authorizations/ABCD-EFGH': status(404, 5, 'userCode: no such code') });
    renderWithFetch(<ActivatePage />, { path: '/activate', url: '/activate' });
    fireEvent.change(screen.getByLabelText('Code'), { target: { value: 'abcd-efgh' } });
    fireEvent.click(screen.getByRole('button', { name: 'Continue' }));
    expect(await screen.findByText(/No TV is waiting for this code/)).toBeTruthy();
    await waitFor(() => expect(document.activeElement).toBe(screen.getByLabelText('Code')));
  });

  it('asks for all eight characters before calling the API', async () => {
    const api = fakeFetch({});
    renderWithFetch(<ActivatePage />, { path: '/activate', url: '/activate' });
    fireEvent.change(screen.getByLabelText('Code'), { target: { value: 'abc' } });
    fireEvent.click(screen.getByRole('button', { name: 'Continue' }));
    expect(await screen.findByText(/Enter the 8 characters/)).toBeTruthy();
    expect(api.calls).toEqual([]);
  });
});
