import type { Interaction, SignalKind, SignalState } from './model.js';

/**
 * Implicit feedback strength of each signal. A completion or a favourite is strong evidence of
 * taste, a watchlist entry an intention, a started session a weak hint; ratings scale with the
 * stars and 1–2 stars carry no positive weight (the title is still excluded as "rated").
 */
export const SIGNAL_WEIGHTS = {
  completed: 3,
  favourite: 3,
  watchlist: 1.5,
  started: 0.5,
  ratingByStars: [0, 0, 0, 1, 3, 4] as readonly number[],
} as const;

const active = (s: SignalState | undefined): s is SignalState => !!s && s.value > 0;

/** The interaction's weight in the user × item matrix (0: ignored by the model). */
export function interactionWeight(i: Pick<Interaction, 'signals'>): number {
  const s = i.signals;
  let w = 0;
  if (active(s.rating)) w += SIGNAL_WEIGHTS.ratingByStars[Math.min(5, Math.round(s.rating.value))] ?? 0;
  if (active(s.completed)) w += SIGNAL_WEIGHTS.completed;
  else if (active(s.started)) w += SIGNAL_WEIGHTS.started;
  if (active(s.favourite)) w += SIGNAL_WEIGHTS.favourite;
  if (active(s.watchlist)) w += SIGNAL_WEIGHTS.watchlist;
  // A low rating overrides watching it: the viewer told us they did not like it.
  if (active(s.rating) && s.rating.value <= 2) w = 0;
  return w;
}

/** Titles a profile has finished, rated or marked as a favourite are not suggested again. */
export function isSettled(i: Pick<Interaction, 'signals'>): boolean {
  const s = i.signals;
  return active(s.completed) || active(s.rating) || active(s.favourite);
}

/** Which of the profile's signals best explains a suggestion made because of this title. */
export function becauseVerb(i: Pick<Interaction, 'signals'>): string {
  const s = i.signals;
  if (active(s.favourite) || (active(s.rating) && s.rating.value >= 4)) return 'liked';
  if (active(s.completed) || active(s.started)) return 'watched';
  if (active(s.watchlist)) return 'saved';
  return 'watched';
}

/** True when `incoming` is newer than `current` (later occur time; the event id breaks ties). */
export function supersedes(incoming: SignalState, current: SignalState | undefined): boolean {
  if (!current) return true;
  const a = incoming.at.getTime();
  const b = current.at.getTime();
  return a !== b ? a > b : incoming.eventId > current.eventId;
}

export type { SignalKind };
