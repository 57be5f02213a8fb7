import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { Role } from '../api/gen/flix/identity/v1/resources';
import { routes } from '../app/router';
import { ADMIN, renderStudio } from './test-support';

const VIEWER = { ...ADMIN, id: 'u-viewer', email: 'viewer@example.com', roles: [Role.ROLE_VIEWER] };
const PROFILE = { id: 'p1', name: 'Me', kids: false };

describe('Studio access', () => {
  it('tells a viewer who types /admin that it is not allowed, and never asks the admin API', async () => {
    localStorage.setItem(`flix.profile.${VIEWER.id}`, PROFILE.id);
    const users = vi.fn();
    renderStudio('/admin/users', { profiles: { list: async () => ({ profiles: [PROFILE], nextPageToken: '' }) }, admin: { users } }, { routes, user: VIEWER });
    const alert = await screen.findByRole('alert');
    expect(within(alert).getByText('Not allowed')).toBeTruthy();
    expect(users).not.toHaveBeenCalled();
    await waitFor(() => expect(screen.getByRole('navigation', { name: 'Main' })).toBeTruthy());
    expect(screen.queryByRole('link', { name: 'Studio' })).toBeNull();
  });

  it('gives an admin the Studio link and the console', async () => {
    localStorage.setItem(`flix.profile.${ADMIN.id}`, PROFILE.id);
    const users = vi.fn(async () => ({ users: [ADMIN], nextPageToken: '', totalSize: 1 }));
    renderStudio('/admin/users', { profiles: { list: async () => ({ profiles: [PROFILE], nextPageToken: '' }) }, admin: { users } }, { routes });
    expect(await screen.findByRole('heading', { name: 'Users' })).toBeTruthy();
    expect(await screen.findByRole('link', { name: 'Studio' })).toBeTruthy();
    expect(screen.getByRole('navigation', { name: 'Studio' })).toBeTruthy();
    expect(await screen.findByText('ops@flix.test')).toBeTruthy();
  });
});
