import { useParams } from 'react-router';
import { useProfileId } from '../profiles/active-profile';
import { Player } from './Player';

/** /watch/:movieId — full screen, without the app shell. */
export default function PlayerPage() {
  const { movieId = '' } = useParams();
  const profileId = useProfileId();
  // A new title or profile is a new session: a fresh player, not a reused one.
  return <Player key={`${movieId}/${profileId}`} movieId={movieId} profileId={profileId} />;
}
