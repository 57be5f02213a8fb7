import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { ReviewState, type Rating } from '../api/gen/flix/engagement/v1/resources';
import { ApiError, Code } from '../api/errors';
import { useApi } from '../app/services';
import { Button } from '../ui/Button';
import { ErrorBanner, Notice } from '../ui/Feedback';
import { TextArea } from '../ui/Field';
import { StarRating } from './StarRating';

/** My stars for a title (saved on click) and my review (written on demand). */
export function MyRating({ movieId, profileId }: { movieId: string; profileId: string }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const key = ['rating', movieId, profileId];
  const mine = useQuery({
    queryKey: key,
    queryFn: async (): Promise<Rating | null> => {
      try {
        return await api.engagement.myRating(movieId, profileId);
      } catch (err) {
        if (err instanceof ApiError && err.code === Code.NOT_FOUND) return null;
        throw err;
      }
    },
  });
  const [writing, setWriting] = useState(false);
  const [draft, setDraft] = useState('');
  const [draftStars, setDraftStars] = useState(0);
  /** Stars chosen and being saved: shown at once, back to the saved value if the save fails. */
  const [chosen, setChosen] = useState<number | null>(null);

  const save = useMutation({
    mutationFn: (v: { stars: number; review: string }) => api.engagement.rate(movieId, { profileId, stars: v.stars, review: v.review }),
    onSettled: () => setChosen(null),
    onSuccess: (rating) => {
      queryClient.setQueryData(key, rating);
      void queryClient.invalidateQueries({ queryKey: ['reviews', movieId] });
      setWriting(false);
    },
  });
  const remove = useMutation({
    mutationFn: () => api.engagement.deleteRating(movieId, profileId),
    onSuccess: () => {
      queryClient.setQueryData(key, null);
      void queryClient.invalidateQueries({ queryKey: ['reviews', movieId] });
    },
  });
  const rating = mine.data ?? null;
  const err = save.error instanceof ApiError ? save.error : undefined;

  const submitReview = (e: FormEvent) => {
    e.preventDefault();
    save.mutate({ stars: draftStars || rating?.stars || 0, review: draft });
  };

  return (
    <section className="my-rating" aria-labelledby="my-rating-heading">
      <h2 id="my-rating-heading" className="section-title">
        Rate this title
      </h2>
      <StarRating
        value={chosen ?? rating?.stars ?? 0}
        disabled={mine.isPending}
        onChange={(stars) => {
          setChosen(stars);
          save.mutate({ stars, review: rating?.review ?? '' });
        }}
      />
      {save.isSuccess && !writing ? <Notice tone="success">Your rating is saved.</Notice> : null}
      {save.error && !err?.fieldViolations.length ? <ErrorBanner error={save.error} /> : null}
      {rating?.review ? (
        <blockquote className="my-review">
          “{rating.review}”{rating.reviewState !== ReviewState.REVIEW_STATE_PUBLISHED ? <span className="badge badge-warn"> Not shown to others (moderated)</span> : null}
        </blockquote>
      ) : null}
      {writing ? (
        <form onSubmit={submitReview} className="review-form">
          {!rating ? <StarRating legend="Stars for your review" value={draftStars} onChange={setDraftStars} /> : null}
          <TextArea label="Your review" name="review" maxLength={4000} value={draft} onChange={(e) => setDraft(e.target.value)} error={err?.fieldError('review') ?? err?.fieldError('stars')} />
          <div className="row-actions">
            <Button type="submit" variant="primary" busy={save.isPending}>
              Publish review
            </Button>
            <Button type="button" variant="ghost" onClick={() => setWriting(false)}>
              Cancel
            </Button>
          </div>
        </form>
      ) : (
        <div className="row-actions">
          <Button
            type="button"
            onClick={() => {
              setDraft(rating?.review ?? '');
              setWriting(true);
            }}
          >
            {rating?.review ? 'Edit your review' : 'Write a review'}
          </Button>
          {rating ? (
            <Button type="button" variant="ghost" busy={remove.isPending} onClick={() => remove.mutate()}>
              Remove my rating
            </Button>
          ) : null}
        </div>
      )}
    </section>
  );
}
