import { fireEvent, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeFetch, renderWithFetch, VIEWER } from '../test/fetch-api';
import { VerifyEmailBanner } from './VerifyEmailBanner';

afterEach(() => vi.unstubAllGlobals());

describe('VerifyEmailBanner', () => {
  it('asks an unverified person to verify, and resends the e-mail', async () => {
    const api = fakeFetch({ 'POST /v1/users/me/email:sendVerification': {} });
    renderWithFetch(<VerifyEmailBanner />, { path: '/browse', url: '/browse', user: { ...VIEWER, emailVerified: false } });
    const banner = screen.getByRole('region', { name: 'E-mail verification' });
    expect(banner.textContent).toContain('open the link we sent to ann@example.com');
    fireEvent.click(screen.getByRole('button', { name: 'Resend e-mail' }));
    expect(await screen.findByText('Sent. Check your inbox.')).toBeTruthy();
    expect(api.called('POST /v1/users/me/email:sendVerification')).toHaveLength(1);
  });

  it('is not there for a verified person, nor signed out', () => {
    fakeFetch({});
    renderWithFetch(<VerifyEmailBanner />, { path: '/browse', url: '/browse' });
    expect(screen.queryByTestId('verify-banner')).toBeNull();
  });
});
