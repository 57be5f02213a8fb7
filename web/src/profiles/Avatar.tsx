import type { Profile } from '../api/client';
import './profiles.css';

const COLOURS = ['#b91c1c', '#1d4ed8', '#047857', '#7c3aed', '#b45309', '#be185d', '#0f766e'];

/** A profile's picture: its avatar URL, or its initial on a colour chosen from its id. */
export function Avatar({ profile, size = 96 }: { profile: Pick<Profile, 'id' | 'name' | 'avatarUrl' | 'kids'>; size?: number }) {
  let h = 0;
  for (const c of profile.id) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  const colour = COLOURS[h % COLOURS.length];
  return (
    <span className="avatar" style={{ width: size, height: size, background: colour, fontSize: size * 0.45 }} aria-hidden="true">
      {profile.name.trim().charAt(0).toUpperCase() || '?'}
      {profile.kids ? <span className="avatar-kids">KIDS</span> : null}
    </span>
  );
}
