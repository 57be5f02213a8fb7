import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, useLocation, useNavigate, useParams } from 'react-router';
import { ConfirmAction } from '../../account/ConfirmAction';
import { ApiError, Code } from '../../api/errors';
import { AssetStatus, MaturityRating, MovieStatus, PlanTier, type Movie } from '../../api/gen/flix/catalog/v1/resources';
import { useApi } from '../../app/services';
import { formatDateTime } from '../../lib/format';
import { Button, ButtonLink } from '../../ui/Button';
import { ErrorBanner, Notice, Spinner } from '../../ui/Feedback';
import { SelectField, TextArea, TextField } from '../../ui/Field';
import { Page } from '../../ui/Page';
import { currencyDigits, toMinorUnits } from '../admin';
import { PLAN_OPTIONS, statusWords, titleKeys, videoInFlight, videoWords } from './titles';
import { VideoPanel } from './VideoPanel';
import '../admin.css';
import './titles.css';

/** The form as the operator types it: text, split and converted only when sent. */
interface Draft {
  title: string;
  description: string;
  releaseYear: string;
  runtimeMinutes: string;
  maturity: MaturityRating;
  genres: string;
  audioLanguages: string;
  subtitleLanguages: string;
  directors: string;
  cast: string;
  thumbnailUrl: string;
  backdropUrl: string;
  trailerUrl: string;
  requiredPlan: PlanTier;
  rentalAmount: string;
  rentalCurrency: string;
  availableFrom: string;
  availableUntil: string;
}
type Key = keyof Draft;
type Errors = Partial<Record<Key, string>>;

const MATURITIES: { value: MaturityRating; label: string }[] = [
  { value: MaturityRating.MATURITY_RATING_G, label: 'G' },
  { value: MaturityRating.MATURITY_RATING_PG, label: 'PG' },
  { value: MaturityRating.MATURITY_RATING_PG13, label: 'PG-13' },
  { value: MaturityRating.MATURITY_RATING_R, label: 'R' },
  { value: MaturityRating.MATURITY_RATING_NC17, label: 'NC-17' },
];

/** Each form field, the update-mask path it changes and the names the catalog's violations use. */
const FIELDS: { key: Key; path: string; api: string[] }[] = [
  { key: 'title', path: 'title', api: ['title'] },
  { key: 'description', path: 'description', api: ['description'] },
  { key: 'releaseYear', path: 'releaseYear', api: ['releaseYear'] },
  { key: 'runtimeMinutes', path: 'runtimeMinutes', api: ['runtimeMinutes'] },
  { key: 'maturity', path: 'maturityRating', api: ['maturityRating'] },
  { key: 'genres', path: 'genres', api: ['genres'] },
  { key: 'audioLanguages', path: 'audioLanguages', api: ['audioLanguages'] },
  { key: 'subtitleLanguages', path: 'subtitleLanguages', api: ['subtitleLanguages'] },
  { key: 'directors', path: 'directors', api: ['directors'] },
  { key: 'cast', path: 'cast', api: ['cast'] },
  { key: 'thumbnailUrl', path: 'artwork.thumbnailUrl', api: ['artwork.thumbnailUrl'] },
  { key: 'backdropUrl', path: 'artwork.backdropUrl', api: ['artwork.backdropUrl'] },
  { key: 'trailerUrl', path: 'trailerUrl', api: ['trailerUrl'] },
  { key: 'requiredPlan', path: 'requiredPlan', api: ['requiredPlan'] },
  { key: 'rentalAmount', path: 'rentalPrice', api: ['rentalPrice.amountMinor', 'rentalPrice'] },
  { key: 'rentalCurrency', path: 'rentalPrice', api: ['rentalPrice.currency'] },
  { key: 'availableFrom', path: 'availableFrom', api: ['availableFrom'] },
  { key: 'availableUntil', path: 'availableUntil', api: ['availableUntil'] },
];

const list = (text: string) =>
  text
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter(Boolean);

/** An ISO instant as a datetime-local value in the operator's time zone, and back. */
function toLocalInput(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}
const fromLocalInput = (value: string): string | undefined => (value ? new Date(value).toISOString() : undefined);

function amountText(m: Movie): string {
  if (!m.rentalPrice || Number(m.rentalPrice.amountMinor) === 0) return '';
  const digits = currencyDigits(m.rentalPrice.currency);
  return (Number(m.rentalPrice.amountMinor) / 10 ** digits).toFixed(digits);
}

function draftOf(m: Movie | undefined): Draft {
  return {
    title: m?.title ?? '',
    description: m?.description ?? '',
    releaseYear: m?.releaseYear ? String(m.releaseYear) : '',
    runtimeMinutes: m?.runtimeMinutes ? String(m.runtimeMinutes) : '',
    maturity: m && m.maturityRating !== MaturityRating.MATURITY_RATING_UNSPECIFIED ? m.maturityRating : MaturityRating.MATURITY_RATING_PG13,
    genres: m?.genres.join(', ') ?? '',
    audioLanguages: m?.audioLanguages.join(', ') ?? 'en',
    subtitleLanguages: m?.subtitleLanguages.join(', ') ?? '',
    directors: m?.directors.join(', ') ?? '',
    cast: m?.cast.join(', ') ?? '',
    thumbnailUrl: m?.artwork?.thumbnailUrl ?? '',
    backdropUrl: m?.artwork?.backdropUrl ?? '',
    trailerUrl: m?.trailerUrl ?? '',
    requiredPlan: m ? m.requiredPlan : PlanTier.PLAN_TIER_BASIC,
    rentalAmount: m ? amountText(m) : '',
    rentalCurrency: m?.rentalPrice?.currency || 'USD',
    availableFrom: toLocalInput(m?.availableFrom),
    availableUntil: toLocalInput(m?.availableUntil),
  };
}

/** The draft as the catalog's Movie, or the fields the browser can already tell are wrong. */
function toMovie(d: Draft): { movie: Partial<Movie> } | { errors: Errors } {
  const errors: Errors = {};
  let rentalPrice: Movie['rentalPrice'];
  if (d.rentalAmount.trim()) {
    const currency = d.rentalCurrency.trim().toUpperCase() || 'USD';
    const amountMinor = toMinorUnits(d.rentalAmount, currency);
    if (amountMinor === undefined) errors.rentalAmount = currencyDigits(currency) > 0 ? 'Enter an amount such as 3.99' : 'Enter a whole amount such as 400';
    else rentalPrice = { amountMinor, currency };
  }
  const whole = (text: string, key: Key) => {
    if (text.trim() === '') return 0;
    if (!/^\d+$/.test(text.trim())) errors[key] = 'Enter a whole number';
    return Number(text);
  };
  const movie: Partial<Movie> = {
    title: d.title.trim(),
    description: d.description.trim(),
    releaseYear: whole(d.releaseYear, 'releaseYear'),
    runtimeMinutes: whole(d.runtimeMinutes, 'runtimeMinutes'),
    maturityRating: d.maturity,
    genres: list(d.genres),
    audioLanguages: list(d.audioLanguages).map((l) => l.toLowerCase()),
    subtitleLanguages: list(d.subtitleLanguages).map((l) => l.toLowerCase()),
    directors: list(d.directors),
    cast: list(d.cast),
    artwork: { thumbnailUrl: d.thumbnailUrl.trim(), backdropUrl: d.backdropUrl.trim() },
    trailerUrl: d.trailerUrl.trim(),
    requiredPlan: d.requiredPlan,
    rentalPrice,
    availableFrom: fromLocalInput(d.availableFrom),
    availableUntil: fromLocalInput(d.availableUntil),
  };
  return Object.keys(errors).length ? { errors } : { movie };
}

/** The catalog's field violations, each placed beside its form field ("genres[1]" → Genres). */
function errorsFrom(err: unknown): Errors {
  if (!(err instanceof ApiError)) return {};
  const out: Errors = {};
  for (const v of err.fieldViolations) {
    const name = v.field.replace(/^movie\./, '').replace(/\[\d+\]$/, '');
    const f = FIELDS.find((x) => x.api.includes(name));
    if (f && !out[f.key]) out[f.key] = v.description;
  }
  return out;
}

/** New title (/admin/titles/new) and a title's editor (/admin/titles/:movieId). */
export default function TitleEditPage() {
  const { movieId } = useParams();
  const api = useApi();
  const title = useQuery({
    queryKey: titleKeys.one(movieId ?? ''),
    queryFn: () => api.admin.title(movieId!),
    enabled: !!movieId,
    // Mux's webhooks move the video along; ask again until it is ready or errored.
    refetchInterval: (q) => (videoInFlight(q.state.data) ? 1500 : false),
  });

  if (!movieId) return <TitleEditor key="new" />;
  if (title.isPending) {
    return (
      <Page title="Title" className="admin-page">
        <Spinner label="Loading the title" />
      </Page>
    );
  }
  if (title.isError) {
    const missing = title.error instanceof ApiError && title.error.code === Code.NOT_FOUND;
    return (
      <Page title={missing ? 'Title not found' : 'Title'} className="admin-page">
        <ErrorBanner title={missing ? 'There is no title with this id.' : 'The title could not be loaded.'} error={missing ? undefined : title.error}>
          {missing ? <Link to="/admin/titles">Back to titles</Link> : <Button onClick={() => void title.refetch()}>Try again</Button>}
        </ErrorBanner>
      </Page>
    );
  }
  // Keyed by id: the form starts from the title as loaded, later refetches (video status) leave the typing alone.
  return <TitleEditor key={title.data.id} movie={title.data} />;
}

function TitleEditor({ movie }: { movie?: Movie }) {
  const api = useApi();
  const navigate = useNavigate();
  const location = useLocation();
  const queryClient = useQueryClient();
  const [saved, setSaved] = useState<Draft>(() => draftOf(movie));
  const [draft, setDraft] = useState<Draft>(saved);
  const [local, setLocal] = useState<Errors>({});
  const [notice, setNotice] = useState<string | undefined>();
  // "Created as a draft: upload, then publish" holds only while the title is still a draft.
  const createdNotice = movie?.status === MovieStatus.MOVIE_STATUS_DRAFT ? (location.state as { notice?: string } | null)?.notice : undefined;
  const formRef = useRef<HTMLFormElement>(null);
  const editing = !!movie;
  const partner = !!movie?.partner;
  const archived = movie?.status === MovieStatus.MOVIE_STATUS_ARCHIVED;

  const save = useMutation({
    mutationFn: async (input: { movie: Partial<Movie>; mask: string[] }) =>
      movie ? api.admin.updateTitle({ ...input.movie, id: movie.id }, input.mask) : api.admin.createTitle(input.movie),
    onSuccess: async (m) => {
      queryClient.setQueryData(titleKeys.one(m.id), m);
      await queryClient.invalidateQueries({ queryKey: titleKeys.all, refetchType: 'none' });
      if (!movie) {
        navigate(`/admin/titles/${encodeURIComponent(m.id)}`, { replace: true, state: { notice: `${m.title} is created as a draft. Upload its video, then publish it.` } });
        return;
      }
      const next = draftOf(m);
      setSaved(next);
      setDraft(next);
      setNotice('Changes saved.');
    },
  });

  const errors: Errors = { ...errorsFrom(save.error), ...local };
  const placed = Object.keys(errorsFrom(save.error)).length > 0;
  const unplaced = save.error && !placed ? save.error : undefined;
  const errorCount = Object.keys(errors).length;

  // After a refusal, keyboard and screen-reader users land on the first field to fix.
  useEffect(() => {
    if (errorCount > 0) formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [errorCount, save.error, local]);

  const set = (key: Key) => (value: string) => setDraft((d) => ({ ...d, [key]: value }));
  const text = (key: Key) => ({ value: draft[key], onChange: (e: { target: { value: string } }) => set(key)(e.target.value), error: errors[key] });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.reset();
    setNotice(undefined);
    const r = toMovie(draft);
    if ('errors' in r) {
      setLocal(r.errors);
      return;
    }
    setLocal({});
    // An update names exactly what the operator changed (an emptied field is cleared).
    const mask = [...new Set(FIELDS.filter((f) => draft[f.key] !== saved[f.key]).map((f) => f.path))];
    if (editing && mask.length === 0) {
      setNotice('Nothing to save: no field has changed.');
      return;
    }
    save.mutate({ movie: r.movie, mask });
  };

  const heading = movie ? movie.title || 'Untitled' : 'New title';
  return (
    <Page title={heading} className="admin-page">
      <p className="titles-back">
        <Link to="/admin/titles">← All titles</Link>
      </p>
      {(notice ?? createdNotice) ? <Notice tone="success">{notice ?? createdNotice}</Notice> : null}
      <div className="admin-split">
        <form ref={formRef} className="admin-form" onSubmit={submit} noValidate aria-label={movie ? 'Title details' : 'New title details'}>
          {partner ? <Notice>This is a partner’s title: it changes only through {movie?.partner?.partnerName}’s feed.</Notice> : null}
          {archived ? <Notice tone="warning">This title is archived. Publish it again before editing it.</Notice> : null}
          {errorCount > 0 ? (
            <p className="field-error" role="alert">
              {placed || Object.keys(local).length > 0
                ? `The title was not saved: check the ${errorCount === 1 ? 'field' : `${errorCount} fields`} marked below.`
                : 'The title was not saved.'}
            </p>
          ) : null}
          {unplaced ? <ErrorBanner title="The title was not saved." error={unplaced} /> : null}

          <fieldset className="titles-fieldset" disabled={partner || archived}>
            <legend>About the title</legend>
            <TextField label="Title" {...text('title')} maxLength={200} required autoComplete="off" />
            <TextArea label="Synopsis" rows={4} {...text('description')} maxLength={4000} hint="What viewers read on the title's page." />
            <div className="admin-form-row">
              <TextField label="Release year" inputMode="numeric" {...text('releaseYear')} required />
              <TextField label="Runtime (minutes)" inputMode="numeric" {...text('runtimeMinutes')} required />
              <SelectField label="Maturity rating" value={draft.maturity} onChange={(e) => set('maturity')(e.target.value)} error={errors.maturity}>
                {MATURITIES.map((o) => (
                  <option key={o.value} value={o.value}>
                    {o.label}
                  </option>
                ))}
              </SelectField>
            </div>
            <TextField label="Genres" {...text('genres')} hint="Comma-separated, 1 to 5, e.g. Drama, Mystery." autoComplete="off" required />
            <div className="admin-form-row">
              <TextField label="Audio languages" {...text('audioLanguages')} hint="ISO 639-1 codes, e.g. en, fr." autoComplete="off" spellCheck={false} required />
              <TextField label="Subtitle languages" {...text('subtitleLanguages')} hint="Optional, e.g. de, ja." autoComplete="off" spellCheck={false} />
            </div>
            <TextField label="Directors" {...text('directors')} hint="Comma-separated." autoComplete="off" />
            <TextField label="Cast" {...text('cast')} hint="Comma-separated, lead first." autoComplete="off" />
          </fieldset>

          <fieldset className="titles-fieldset" disabled={partner || archived}>
            <legend>Artwork and trailer</legend>
            <TextField label="Thumbnail URL" type="url" {...text('thumbnailUrl')} hint="Poster shown on cards (2:3)." autoComplete="off" spellCheck={false} />
            <TextField label="Backdrop URL" type="url" {...text('backdropUrl')} hint="Wide image behind the title's page (16:9)." autoComplete="off" spellCheck={false} />
            <TextField label="Trailer URL" type="url" {...text('trailerUrl')} autoComplete="off" spellCheck={false} />
            {draft.thumbnailUrl && /^https?:\/\//.test(draft.thumbnailUrl) ? (
              <img className="titles-artwork" src={draft.thumbnailUrl} alt={`Thumbnail of ${draft.title || 'the title'}`} />
            ) : null}
          </fieldset>

          <fieldset className="titles-fieldset" disabled={partner || archived}>
            <legend>Who can watch, and when</legend>
            <SelectField label="Required plan" value={draft.requiredPlan} onChange={(e) => set('requiredPlan')(e.target.value)} error={errors.requiredPlan} hint="A title needs a plan, a rental price, or both.">
              {PLAN_OPTIONS.map((o) => (
                <option key={o.value} value={o.value}>
                  {o.label}
                </option>
              ))}
            </SelectField>
            <div className="admin-form-row">
              <TextField label="Rental price" inputMode="decimal" {...text('rentalAmount')} hint="Empty: not for rent. e.g. 3.99" autoComplete="off" />
              <TextField
                label="Rental currency"
                value={draft.rentalCurrency}
                onChange={(e) => set('rentalCurrency')(e.target.value.toUpperCase())}
                error={errors.rentalCurrency}
                hint="ISO 4217, e.g. USD"
                maxLength={3}
                autoComplete="off"
                className="admin-input-short"
              />
            </div>
            <div className="admin-form-row">
              <TextField label="Available from" type="datetime-local" {...text('availableFrom')} hint="Empty: as soon as it is published." />
              <TextField label="Available until" type="datetime-local" {...text('availableUntil')} hint="Empty: no end." />
            </div>
          </fieldset>

          <div className="row-actions">
            <Button type="submit" variant="primary" busy={save.isPending} disabled={partner || archived}>
              {movie ? 'Save changes' : 'Create title'}
            </Button>
            <ButtonLink to="/admin/titles" variant="ghost">
              {movie ? 'Back to titles' : 'Cancel'}
            </ButtonLink>
          </div>
        </form>

        {movie && !partner ? (
          <div className="titles-side">
            <StatusPanel movie={movie} />
            <VideoPanel movie={movie} />
          </div>
        ) : null}
        {!movie ? (
          <aside className="admin-panel" aria-labelledby="titles-next">
            <h2 id="titles-next" className="titles-panel-title">
              Next: the video
            </h2>
            <p className="admin-note">Create the title first; its page then lets you upload the video file and publish it once Mux has processed it.</p>
          </aside>
        ) : null}
      </div>
    </Page>
  );
}

/** Lifecycle: draft → published → archived, with the catalog's refusals shown as they come. */
function StatusPanel({ movie }: { movie: Movie }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const [message, setMessage] = useState<string>();
  const status = statusWords(movie.status);
  const ready = movie.video?.status === AssetStatus.ASSET_STATUS_READY;
  const published = movie.status === MovieStatus.MOVIE_STATUS_PUBLISHED;
  const archived = movie.status === MovieStatus.MOVIE_STATUS_ARCHIVED;

  const applied = async (m: Movie, words: string) => {
    queryClient.setQueryData(titleKeys.one(m.id), m);
    await queryClient.invalidateQueries({ queryKey: titleKeys.all, refetchType: 'none' });
    setMessage(words);
  };
  const publish = useMutation({
    mutationFn: () => api.admin.publishTitle(movie.id),
    onSuccess: (m) => applied(m, `${m.title} is published: viewers with access can find and watch it.`),
  });
  const whyNot = !ready ? `Publishing needs a ready video (now: ${videoWords(movie).label.toLowerCase()}).` : undefined;

  return (
    <section className="admin-panel" aria-labelledby="titles-status-heading">
      <div className="admin-panel-head">
        <h2 id="titles-status-heading" className="titles-panel-title">
          Status
        </h2>
        <span className={`badge ${status.tone}`}>{status.label}</span>
      </div>
      <dl className="admin-facts">
        <dt>Created</dt>
        <dd>{formatDateTime(movie.createTime)}</dd>
        <dt>Changed</dt>
        <dd>{formatDateTime(movie.updateTime)}</dd>
        {movie.publishTime ? (
          <>
            <dt>Published</dt>
            <dd>{formatDateTime(movie.publishTime)}</dd>
          </>
        ) : null}
      </dl>
      <div role="status" className="titles-live">
        {message ? <p className="titles-ok">{message}</p> : null}
      </div>
      {publish.error ? <ErrorBanner title="The catalog did not publish the title." error={publish.error} /> : null}
      <div className="row-actions">
        {!published ? (
          <Button variant="primary" onClick={() => publish.mutate()} busy={publish.isPending} disabled={!!whyNot} aria-describedby={whyNot ? 'titles-publish-why' : undefined}>
            {archived ? 'Publish again' : 'Publish'}
          </Button>
        ) : (
          <ButtonLink to={`/title/${encodeURIComponent(movie.id)}`}>See it as a viewer</ButtonLink>
        )}
        {!archived ? (
          <ConfirmAction
            label="Archive"
            accessibleLabel={`Archive ${movie.title}`}
            prompt={`Archive ${movie.title}? Viewers stop seeing it at once; rentals and watch history keep referring to it. You can publish it again later.`}
            confirmLabel={`Yes, archive ${movie.title}`}
            cancelLabel="Keep it"
            onConfirm={async () => applied(await api.admin.archiveTitle(movie.id), `${movie.title} is archived: viewers no longer see it.`)}
          />
        ) : null}
      </div>
      {!published && whyNot ? (
        <p id="titles-publish-why" className="admin-note">
          {whyNot}
        </p>
      ) : null}
    </section>
  );
}
