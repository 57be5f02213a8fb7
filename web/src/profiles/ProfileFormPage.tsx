import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { useNavigate, useParams } from 'react-router';
import type { Profile } from '../api/client';
import { ApiError } from '../api/errors';
import { MaturityRating } from '../api/gen/flix/identity/v1/resources';
import { useApi } from '../app/services';
import { maturityLabel } from '../lib/format';
import { Button } from '../ui/Button';
import { ErrorBanner, Spinner } from '../ui/Feedback';
import { SelectField, TextField } from '../ui/Field';
import { Page } from '../ui/Page';
import { Avatar } from './Avatar';
import { profilesKey, useActiveProfile, useProfiles } from './active-profile';
import './profiles.css';

const RATINGS = [MaturityRating.MATURITY_RATING_G, MaturityRating.MATURITY_RATING_PG, MaturityRating.MATURITY_RATING_PG13, MaturityRating.MATURITY_RATING_R, MaturityRating.MATURITY_RATING_NC17];
/** Kids profiles are capped at PG by identity; the form offers no more. */
const KIDS_RATINGS = RATINGS.slice(0, 2);

export default function ProfileFormPage() {
  const { profileId } = useParams();
  const profiles = useProfiles();
  const existing = profiles.data?.find((p) => p.id === profileId);
  if (profileId && profiles.isPending) return <Spinner />;
  if (profileId && !existing) return <ErrorBanner title="Profile not found">This profile does not exist any more.</ErrorBanner>;
  return <ProfileForm key={profileId ?? 'new'} existing={existing} />;
}

function ProfileForm({ existing }: { existing?: Profile }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const { profile: active, choose } = useActiveProfile();
  const [name, setName] = useState(existing?.name ?? '');
  const [kids, setKids] = useState(existing?.kids ?? false);
  const [maturity, setMaturity] = useState<MaturityRating>(existing?.maxMaturity ?? MaturityRating.MATURITY_RATING_NC17);
  const [confirmDelete, setConfirmDelete] = useState(false);

  useEffect(() => {
    if (kids && !KIDS_RATINGS.includes(maturity)) setMaturity(MaturityRating.MATURITY_RATING_PG);
  }, [kids, maturity]);

  const save = useMutation({
    mutationFn: () =>
      existing
        ? api.profiles.update({ id: existing.id, name, kids, maxMaturity: maturity }, ['name', 'kids', 'maxMaturity'])
        : api.profiles.create({ name, kids, maxMaturity: maturity }),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: profilesKey });
      navigate('/profiles');
    },
  });
  const remove = useMutation({
    mutationFn: () => api.profiles.remove(existing!.id),
    onSuccess: async () => {
      if (active?.id === existing?.id) choose(undefined);
      await queryClient.invalidateQueries({ queryKey: profilesKey });
      navigate('/profiles');
    },
  });
  const err = save.error instanceof ApiError ? save.error : undefined;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };

  return (
    <Page title={existing ? `Edit ${existing.name}` : 'Add a profile'} className="profile-form-page">
      <form className="card profile-form" onSubmit={submit} noValidate>
        <div className="profile-form-avatar">
          <Avatar profile={{ id: existing?.id ?? name, name: name || '?', avatarUrl: '', kids }} size={88} />
        </div>
        <div className="profile-form-fields">
          {save.error && !err?.fieldViolations.length ? <ErrorBanner error={save.error} /> : null}
          <TextField label="Name" name="name" required maxLength={30} value={name} onChange={(e) => setName(e.target.value)} error={err?.fieldError('profile.name') ?? err?.fieldError('name')} />
          <div className="field checkbox-field">
            <label>
              <input type="checkbox" name="kids" checked={kids} onChange={(e) => setKids(e.target.checked)} /> Kids profile
            </label>
            <p className="field-hint">Only titles rated G or PG, everywhere in Flix.</p>
          </div>
          <SelectField
            label="Maturity limit"
            name="maxMaturity"
            value={maturity}
            onChange={(e) => setMaturity(e.target.value as MaturityRating)}
            hint="Titles rated above this are hidden and cannot be played on this profile."
            error={err?.fieldError('profile.maxMaturity') ?? err?.fieldError('maxMaturity')}
          >
            {(kids ? KIDS_RATINGS : RATINGS).map((r) => (
              <option key={r} value={r}>
                {maturityLabel(r)} and below
              </option>
            ))}
          </SelectField>
          <div className="row-actions">
            <Button type="submit" variant="primary" busy={save.isPending}>
              {existing ? 'Save' : 'Add profile'}
            </Button>
            <Button type="button" variant="ghost" onClick={() => navigate('/profiles')}>
              Cancel
            </Button>
          </div>
          {existing ? (
            <div className="danger-zone">
              {remove.error ? <ErrorBanner error={remove.error} /> : null}
              {confirmDelete ? (
                <div role="group" aria-label="Confirm deletion">
                  <p>Delete {existing.name}? Its history, ratings and lists go with it.</p>
                  <div className="row-actions">
                    <Button type="button" variant="danger" busy={remove.isPending} onClick={() => remove.mutate()}>
                      Delete profile
                    </Button>
                    <Button type="button" variant="ghost" onClick={() => setConfirmDelete(false)}>
                      Keep it
                    </Button>
                  </div>
                </div>
              ) : (
                <Button type="button" variant="danger" onClick={() => setConfirmDelete(true)}>
                  Delete this profile…
                </Button>
              )}
            </div>
          ) : null}
        </div>
      </form>
    </Page>
  );
}
