import { fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeFetch, renderWithFetch, status } from '../test/fetch-api';
import NotificationsPage from './NotificationsPage';
import UnsubscribePage from './UnsubscribePage';

afterEach(() => vi.unstubAllGlobals());

const PREFS = { reminders: true, productNews: true, transactionalCategories: ['account', 'security', 'billing'], updateTime: '2030-01-01T10:00:00Z' };

describe('NotificationsPage', () => {
  it('turns news off with a field mask, and lists what is always sent', async () => {
    const api = fakeFetch({
      'GET /v1/users/me/notification-preferences': PREFS,
      'PATCH /v1/users/me/notification-preferences': (call) => ({ ...PREFS, ...(call.body as object) }),
    });
    renderWithFetch(<NotificationsPage />, { path: '/account/notifications', url: '/account/notifications' });
    const news = await screen.findByRole('switch', { name: /News from Flix/ });
    expect((news as HTMLInputElement).checked).toBe(true);
    expect(screen.getByText('Security', { selector: 'strong' })).toBeTruthy();
    expect(screen.getByText('Billing', { selector: 'strong' })).toBeTruthy();
    fireEvent.click(news);
    fireEvent.click(screen.getByRole('button', { name: 'Save preferences' }));
    expect(await screen.findByText('Your e-mail preferences are saved.')).toBeTruthy();
    const [call] = api.called('PATCH /v1/users/me/notification-preferences');
    expect(call?.body).toEqual({ reminders: true, productNews: false });
    expect(call?.query.get('updateMask')).toBe('reminders,productNews');
    expect((screen.getByRole('switch', { name: /News from Flix/ }) as HTMLInputElement).checked).toBe(false);
  });

  it('offers to try again when the preferences cannot be loaded', async () => {
    let up = false;
    fakeFetch({ 'GET /v1/users/me/notification-preferences': () => (up ? PREFS : status(503, 14, 'notifications is restarting')) });
    renderWithFetch(<NotificationsPage />, { path: '/account/notifications', url: '/account/notifications' });
    expect((await screen.findByRole('alert')).textContent).toContain('could not be loaded');
    up = true;
    fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByRole('switch', { name: /Reminders/ })).toBeTruthy();
  });
});

describe('UnsubscribePage', () => {
  it('unsubscribes with the link\'s token, without signing in, and names the category', async () => {
    const api = fakeFetch({ 'POST /v1/notifications:unsubscribe': { category: 'reminders' } });
    renderWithFetch(<UnsubscribePage />, { path: '/unsubscribe', url: '/unsubscribe?token=unsub-1', user: null });
    expect(await screen.findByRole('heading', { name: 'You are unsubscribed' })).toBeTruthy();
    expect(screen.getByTestId('unsubscribe-result').textContent).toContain('You will no longer get Reminders e-mails from Flix.');
    expect(api.called('POST /v1/notifications:unsubscribe').map((c) => [c.body, c.authorization])).toEqual([[{ token: 'unsub-1' }, null]]);
  });

  it('says a damaged link does not work', async () => {
    fakeFetch({ 'POST /v1/notifications:unsubscribe': status(400, 3, 'token: not a valid unsubscribe token', [{ field: 'token', description: 'not a valid unsubscribe token' }]) });
    renderWithFetch(<UnsubscribePage />, { path: '/unsubscribe', url: '/unsubscribe?token=bad', user: null });
    expect(await screen.findByRole('heading', { name: 'This unsubscribe link does not work' })).toBeTruthy();
    await waitFor(() => expect(screen.getByRole('link', { name: 'sign in' })).toBeTruthy());
  });
});
