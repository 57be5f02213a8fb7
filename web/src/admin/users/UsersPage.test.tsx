import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { Code } from '../../api/errors';
import { Role } from '../../api/gen/flix/identity/v1/resources';
import { ADMIN, apiError, renderStudio } from '../test-support';

const user = (id: string, email: string, roles: Role[] = [Role.ROLE_VIEWER]) => ({
  id,
  email,
  displayName: email.split('@')[0],
  preferredLanguage: 'en',
  roles,
  createTime: '2026-03-04T12:00:00Z',
  updateTime: undefined,
  favouriteGenres: [],
});

const EVERYONE = [ADMIN, user('u-ann', 'ann@example.com'), user('u-bob', 'bob@example.com'), user('u-bea', 'bea@example.com')];

/** identity's ListUsers over a fixed set: e-mail prefix, pages of two. */
function fakeUsers() {
  return vi.fn(async ({ emailPrefix = '', pageToken = '' }: { emailPrefix?: string; pageSize?: number; pageToken?: string }) => {
    const matching = EVERYONE.filter((u) => u.email.startsWith(emailPrefix));
    const start = Number(pageToken || 0);
    const page = matching.slice(start, start + 2);
    return { users: page, nextPageToken: start + 2 < matching.length ? String(start + 2) : '', totalSize: matching.length };
  });
}

describe('Studio: Users', () => {
  it('opens on Users from /admin, searches by e-mail prefix after typing stops and loads more pages', async () => {
    const users = fakeUsers();
    const { router } = renderStudio('/admin', { admin: { users } });
    await waitFor(() => expect(router.state.location.pathname).toBe('/admin/users'));
    expect(screen.getByRole('navigation', { name: 'Studio' })).toBeTruthy();

    expect(await screen.findByText('ops@flix.test')).toBeTruthy();
    expect(screen.getByText('2 of 4 accounts')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Load more' }));
    expect(await screen.findByText('bob@example.com')).toBeTruthy();
    await waitFor(() => expect(screen.getByText('4 of 4 accounts')).toBeTruthy());
    expect(screen.queryByRole('button', { name: 'Load more' })).toBeNull();

    const search = screen.getByRole('searchbox', { name: 'Search by e-mail' });
    fireEvent.change(search, { target: { value: 'B' } });
    fireEvent.change(search, { target: { value: 'Be' } });
    expect(await screen.findByText('bea@example.com')).toBeTruthy();
    await waitFor(() => expect(screen.queryByText('ann@example.com')).toBeNull());
    expect(screen.queryByText('bob@example.com')).toBeNull();
    // Debounced and normalised: one call for the settled prefix, none for each key.
    const prefixes = users.mock.calls.map(([p]) => p.emailPrefix);
    expect(prefixes).toContain('be');
    expect(prefixes).not.toContain('b');

    // Roles as badges in the row.
    const row = screen.getByText('bea@example.com').closest('tr')!;
    expect(within(row).getByText('Viewer')).toBeTruthy();
  });

  it('locks the admin’s own Admin role with the reason, and shows an API refusal beside the roles', async () => {
    const setRoles = vi.fn(async () => {
      throw apiError(400, Code.INVALID_ARGUMENT, 'roles: must name at least one role', [{ field: 'roles', description: 'must name at least one role' }]);
    });
    renderStudio('/admin/users', { admin: { users: fakeUsers(), setRoles } });

    fireEvent.click(await screen.findByRole('button', { name: 'Manage ops@flix.test' }));
    const panel = screen.getByRole('region', { name: 'ops@flix.test' });
    expect(document.activeElement).toBe(within(panel).getByRole('heading', { name: 'ops@flix.test' }));
    const own = within(panel).getByRole('checkbox', { name: /Admin/ }) as HTMLInputElement;
    expect(own.checked).toBe(true);
    expect(own.disabled).toBe(true);
    expect(document.getElementById(own.getAttribute('aria-describedby')!)!.textContent).toContain('You cannot remove your own admin role');
    expect(within(panel).getByRole('link', { name: /sessions of ops@flix.test/ }).getAttribute('href')).toBe('/admin/users/u-admin');

    // Another account: untick its only role; identity's refusal is shown beside the roles.
    fireEvent.click(within(panel).getByRole('button', { name: 'Close ops@flix.test' }));
    fireEvent.click(await screen.findByRole('button', { name: 'Manage ann@example.com' }));
    const annPanel = screen.getByRole('region', { name: 'ann@example.com' });
    const roles = within(annPanel).getByRole('group', { name: 'Roles' });
    expect((within(roles).getByRole('checkbox', { name: /Admin/ }) as HTMLInputElement).disabled).toBe(false);
    fireEvent.click(within(roles).getByRole('checkbox', { name: /Viewer/ }));
    fireEvent.click(within(annPanel).getByRole('button', { name: 'Save roles' }));
    const alert = await within(roles).findByRole('alert');
    expect(alert.textContent).toBe('must name at least one role');
    expect(setRoles).toHaveBeenCalledWith('u-ann', []);
    expect(roles.getAttribute('aria-describedby')).toBe(alert.id);
  });

  it('links each account’s e-mail to its page', async () => {
    renderStudio('/admin/users', { admin: { users: fakeUsers() } });
    const link = await screen.findByRole('link', { name: 'ann@example.com' });
    expect(link.getAttribute('href')).toBe('/admin/users/u-ann');
  });

  it('saves another account’s roles and shows them in the list', async () => {
    let ann = user('u-ann', 'ann@example.com');
    const users = vi.fn(async () => ({ users: [ann], nextPageToken: '', totalSize: 1 }));
    const setRoles = vi.fn(async (_id: string, roles: Role[]) => (ann = { ...ann, roles }));
    renderStudio('/admin/users', { admin: { users, setRoles } });

    fireEvent.click(await screen.findByRole('button', { name: 'Manage ann@example.com' }));
    const panel = screen.getByRole('region', { name: 'ann@example.com' });
    fireEvent.click(within(panel).getByRole('checkbox', { name: /Admin/ }));
    fireEvent.click(within(panel).getByRole('button', { name: 'Save roles' }));

    expect(await within(panel).findByText('Roles saved.')).toBeTruthy();
    expect(setRoles).toHaveBeenCalledWith('u-ann', [Role.ROLE_VIEWER, Role.ROLE_ADMIN]);
    const row = screen.getByRole('button', { name: 'Manage ann@example.com' }).closest('tr')!;
    await waitFor(() => expect(within(row).getByText('Admin')).toBeTruthy());

    fireEvent.click(within(panel).getByRole('button', { name: 'Close ann@example.com' }));
    expect(screen.queryByRole('region', { name: 'ann@example.com' })).toBeNull();
  });
});
