import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import type { User } from '../../api/client';
import { ApiError, describeError } from '../../api/errors';
import { Role } from '../../api/gen/flix/identity/v1/resources';
import { useApi, useSessionState } from '../../app/services';
import { Button } from '../../ui/Button';
import { Notice } from '../../ui/Feedback';
import { adminKeys, ROLE_OPTIONS, roleLabel } from '../admin';

/** An account's roles as badges (the list's rows, the detail page's facts). */
export function RoleBadges({ roles }: { roles: Role[] | undefined }) {
  const shown = (roles ?? []).filter((r) => r !== Role.ROLE_UNSPECIFIED);
  if (shown.length === 0) return <span className="muted">None</span>;
  return (
    <ul className="admin-badges" aria-label="Roles">
      {shown.map((r) => (
        <li key={r} className={r === Role.ROLE_ADMIN ? 'badge badge-warn' : 'badge'}>
          {roleLabel(r)}
        </li>
      ))}
    </ul>
  );
}

const OWN_ADMIN_REASON = 'You cannot remove your own admin role; ask another admin.';

/**
 * One account's roles as checkboxes; Save replaces them. On your own account the Admin box is
 * locked (identity refuses dropping your own admin role); any refusal the API still sends is
 * shown beside the roles.
 */
export function RolesForm({ user, onSaved }: { user: User; onSaved?: (u: User) => void }) {
  const api = useApi();
  const state = useSessionState();
  const queryClient = useQueryClient();
  const errorId = useId();
  const reasonId = useId();
  const [roles, setRoles] = useState<Role[]>(() => (user.roles ?? []).filter((r) => r !== Role.ROLE_UNSPECIFIED));
  const [saved, setSaved] = useState(false);
  const isSelf = state.status === 'signed-in' && state.user.id === user.id;
  const ownAdmin = isSelf && (user.roles ?? []).includes(Role.ROLE_ADMIN);

  const save = useMutation({
    mutationFn: (next: Role[]) => api.admin.setRoles(user.id, next),
    onSuccess: async (updated) => {
      setSaved(true);
      onSaved?.(updated);
      await queryClient.invalidateQueries({ queryKey: adminKeys.usersAll });
    },
  });

  const toggle = (role: Role, on: boolean) => {
    setSaved(false);
    save.reset();
    setRoles((prev) => (on ? [...prev.filter((r) => r !== role), role] : prev.filter((r) => r !== role)));
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    // Ordered as the options are, so the request reads the same whatever order they were ticked.
    save.mutate(ROLE_OPTIONS.map((o) => o.role).filter((r) => roles.includes(r)));
  };

  const err = save.error;
  const rolesError = err instanceof ApiError ? err.fieldError('roles') || describeError(err) : err ? describeError(err) : undefined;
  const unchanged = ROLE_OPTIONS.every((o) => roles.includes(o.role) === (user.roles ?? []).includes(o.role));

  return (
    <form onSubmit={submit} noValidate>
      <fieldset className="admin-roles" aria-describedby={rolesError ? errorId : undefined} aria-invalid={rolesError ? true : undefined}>
        <legend>Roles</legend>
        {ROLE_OPTIONS.map((o) => {
          const locked = ownAdmin && o.role === Role.ROLE_ADMIN;
          return (
            <label key={o.role} className="admin-check">
              <input
                type="checkbox"
                checked={roles.includes(o.role)}
                disabled={locked}
                aria-describedby={locked ? reasonId : undefined}
                onChange={(e) => toggle(o.role, e.target.checked)}
              />
              <span>
                {o.label}
                <span className="admin-check-hint">{o.hint}</span>
              </span>
            </label>
          );
        })}
        {ownAdmin ? (
          <p className="field-hint" id={reasonId}>
            This is your own account. {OWN_ADMIN_REASON}
          </p>
        ) : isSelf ? (
          <p className="field-hint">This is your own account.</p>
        ) : null}
        {rolesError ? (
          <p className="field-error" id={errorId} role="alert">
            {rolesError}
          </p>
        ) : null}
      </fieldset>
      <div className="row-actions">
        <Button type="submit" variant="primary" busy={save.isPending} disabled={unchanged}>
          Save roles
        </Button>
      </div>
      {saved ? <Notice tone="success">Roles saved.</Notice> : null}
    </form>
  );
}
