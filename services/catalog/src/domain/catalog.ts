import { randomUUID } from 'node:crypto';
import { DomainError, notFound, permissionDenied, unauthenticated, Violations } from '@flix/errors';
import { requireAdmin, type Caller, type Principal } from '@flix/auth';
import { applyAssetEvent } from './asset.js';
import { CatalogIndex, MOVIE_ORDERS, type ListPosition, type MovieOrder, type SearchPosition, type SourceFilter, type TitleFilter } from './catalog-index.js';
import type { CatalogEvent } from './events.js';
import { ASSET_STATUSES, isVisible, KNOWN_LANGUAGES, MATURITY_LEVELS, maturityRank, MOVIE_STATUSES, OWN_SOURCE, type AssetStatus, type Maturity, type MovieRecord, type MovieStatus, type PlanTier, type VideoRecord } from './model.js';
import type { MuxEvent, MuxUploads } from './mux-events.js';
import type { Clock, MovieRepository, PartnerTitleRepository, ProfileDirectory } from './ports.js';
import { canonicalGenre, checkMovieFields, checkMovieRecord, checkPublishable, MOVIE_FIELDS, type MovieField, type MovieInput } from './validation.js';
import { fold } from './text.js';
import { aboveMaturityLimit, checkMovieIds, withinMaturityLimit } from './maturity-limit.js';
import { quoted, shortId } from './quoted.js';

/** Filters as the client sends them (strings straight from the query). */
export interface BrowseParams {
  genre: string;
  language: string;
  releaseYearMin: number;
  releaseYearMax: number;
  maturity: string;
  profileId: string;
  source: string;
  includeUnpublished: boolean;
  /** Admin filters (see TitleFilter); absent or empty: any. */
  status?: string;
  videoStatus?: string;
}

export interface PageParams {
  pageSize: number;
  /** Decoded page token, or undefined on the first page. */
  position?: Record<string, string | number>;
}

export interface Page {
  items: MovieRecord[];
  next?: Record<string, string | number>;
  total: number;
}

export const PARTNER_ID_PREFIX = 'partner-';
export { MAX_BATCH } from './maturity-limit.js';

/** Titles: browsing and search for everyone, ingestion and lifecycle for admins. */
export class Catalog {
  constructor(
    private readonly deps: {
      movies: MovieRepository;
      partners: PartnerTitleRepository;
      index: CatalogIndex;
      profiles: ProfileDirectory;
      mux: MuxUploads;
      clock: Clock;
      /** Partner ids the `source` filter accepts. */
      partnerIds: () => string[];
      /** Origin allowed to PUT to upload URLs when the admin does not say. */
      defaultCorsOrigin: string;
    },
  ) {}

  // ------------------------------------------------------------------ reads

  async list(caller: Caller | undefined, params: BrowseParams, orderBy: string, page: PageParams): Promise<Page> {
    const v = new Violations();
    const order = (orderBy.trim().toLowerCase() || 'newest') as MovieOrder;
    if (!MOVIE_ORDERS.includes(order)) v.add('orderBy', `unknown order ${quoted(orderBy)} (${MOVIE_ORDERS.join(', ')})`);
    const filter = await this.filter(caller, params, v);
    const fingerprint = hashQuery({ params, order });
    let after: ListPosition | undefined;
    if (page.position) after = { key: positionKey(page.position, fingerprint) };
    const r = this.deps.index.list(filter, order, page.pageSize, after);
    return { items: r.items, total: r.total, next: r.next ? { f: fingerprint, k: JSON.stringify(r.next.key) } : undefined };
  }

  async search(caller: Caller | undefined, q: string, params: BrowseParams, page: PageParams): Promise<Page> {
    const v = new Violations();
    const query = q.trim();
    if (query === '') v.add('q', 'is required: what to search for');
    else if (query.length > 200) v.add('q', 'at most 200 characters');
    else if (fold(query).replace(/[^\p{L}\p{N}]+/gu, '') === '') v.add('q', 'needs at least one letter or digit');
    const filter = await this.filter(caller, params, v);
    const fingerprint = hashQuery({ params, q: fold(query) });
    let after: SearchPosition | undefined;
    if (page.position) {
      const key = positionKey(page.position, fingerprint);
      after = { score: Number(key[0]), id: String(key[1]) };
    }
    const r = this.deps.index.search(query, filter, page.pageSize, after);
    return { items: r.items, total: r.total, next: r.next ? { f: fingerprint, k: JSON.stringify([r.next.score, r.next.id]) } : undefined };
  }

  async genres(principal: Principal | undefined, source: string): Promise<{ name: string; count: number }[]> {
    const v = new Violations();
    const src = this.source(source, v);
    v.throwIfAny();
    void principal;
    return this.deps.index.genres({ source: src, includeUnpublished: false, now: this.deps.clock.now() });
  }

  /**
   * One title from the source of truth; viewers only see what is published and available. With
   * a profile (the caller's, asked from identity), a title above its maturity limit is refused.
   */
  async get(caller: Caller | undefined, id: string, profileId = ''): Promise<MovieRecord> {
    if (id.trim() === '') throw new DomainError('invalid_argument', 'INVALID_ARGUMENT', 'movieId: is required', [{ field: 'movieId', description: 'is required' }]);
    const limit = profileId.trim() ? await this.profileLimit(caller, profileId) : undefined;
    const m = id.startsWith(PARTNER_ID_PREFIX) ? await this.deps.partners.findById(id) : await this.deps.movies.findById(id);
    if (!m || (!isPrivileged(caller?.principal) && !isVisible(m, this.deps.clock.now()))) throw notFound('movie', shortId(id));
    if (limit && !withinMaturityLimit(m, limit)) throw aboveMaturityLimit(m, limit);
    return m;
  }

  /**
   * Titles by id in the order asked, each as `get` would show it: unknown (or, for viewers,
   * hidden) ids reported as missing, titles above the profile's maturity limit as restricted.
   */
  async batchGet(
    caller: Caller | undefined,
    ids: string[],
    profileId = '',
  ): Promise<{ movies: MovieRecord[]; missing: string[]; restricted: string[] }> {
    const v = new Violations();
    checkMovieIds(v, ids);
    v.throwIfAny();
    const limit = profileId.trim() ? await this.profileLimit(caller, profileId) : undefined;
    const unique = [...new Set(ids)];
    const partnerIds = unique.filter((id) => id.startsWith(PARTNER_ID_PREFIX));
    const ownIds = unique.filter((id) => !id.startsWith(PARTNER_ID_PREFIX));
    const [own, partner] = await Promise.all([
      ownIds.length ? this.deps.movies.findMany(ownIds) : [],
      partnerIds.length ? this.deps.partners.findMany(partnerIds) : [],
    ]);
    const now = this.deps.clock.now();
    const found = new Map([...own, ...partner].filter((m) => isPrivileged(caller?.principal) || isVisible(m, now)).map((m) => [m.id, m]));
    const allowed = (m: MovieRecord) => !limit || withinMaturityLimit(m, limit);
    const movies: MovieRecord[] = [];
    const missing: string[] = [];
    const restricted: string[] = [];
    for (const id of unique) {
      const m = found.get(id);
      if (!m) missing.push(id);
      else if (!allowed(m)) restricted.push(id);
      else movies.push(m);
    }
    return { movies, missing, restricted };
  }

  // ------------------------------------------------------------------ admin

  async create(principal: Principal | undefined, input: MovieInput): Promise<MovieRecord> {
    const admin = requireAdmin(principal);
    const now = this.deps.clock.now();
    const v = new Violations();
    checkMovieFields(v, input, MOVIE_FIELDS, now, true);
    const movie: MovieRecord = {
      id: randomUUID(),
      source: OWN_SOURCE,
      title: '',
      description: '',
      genres: [],
      directors: [],
      cast: [],
      releaseYear: 0,
      runtimeMinutes: 0,
      maturity: 'G',
      audioLanguages: [],
      subtitleLanguages: [],
      thumbnailUrl: '',
      backdropUrl: '',
      trailerUrl: '',
      requiredPlan: null,
      rentalPrice: null,
      availableFrom: null,
      availableUntil: null,
      status: 'draft',
      video: null,
      ratingSum: 0,
      ratingCount: 0,
      popularity: 0,
      partner: null,
      createdAt: now,
      updatedAt: now,
      publishedAt: null,
      version: 1,
    };
    applyInput(movie, input, MOVIE_FIELDS);
    checkMovieRecord(v, movie);
    v.throwIfAny();
    await this.deps.movies.insert(movie, [{ subject: 'catalog.movie.created', payload: { movie, actorId: admin.subject } }]);
    this.deps.index.upsert(movie);
    return movie;
  }

  async update(principal: Principal | undefined, id: string, input: MovieInput, mask: string[]): Promise<MovieRecord> {
    const admin = requireAdmin(principal);
    const fields = resolveMask(mask, input);
    const now = this.deps.clock.now();
    const v = new Violations();
    checkMovieFields(v, input, fields, now, false);
    v.throwIfAny();
    return this.mutate(id, (m) => {
      if (m.status === 'archived') throw new DomainError('failed_precondition', 'MOVIE_ARCHIVED', `movie ${id} is archived; publish it again before editing`);
      const next = { ...m };
      applyInput(next, input, fields);
      const cv = new Violations();
      checkMovieRecord(cv, next);
      if (next.status === 'published') checkPublishable(cv, next, now);
      cv.throwIfAny();
      return { movie: next, events: [{ subject: 'catalog.movie.updated', payload: { movie: next, changedFields: fields.map(publicField), actorId: admin.subject } }] };
    });
  }

  async publish(principal: Principal | undefined, id: string): Promise<MovieRecord> {
    const admin = requireAdmin(principal);
    return this.mutate(id, (m) => {
      if (m.status === 'published') return null;
      const now = this.deps.clock.now();
      const v = new Violations();
      checkPublishable(v, m, now);
      v.throwIfAny('NOT_PUBLISHABLE');
      const next: MovieRecord = { ...m, status: 'published', publishedAt: now };
      return { movie: next, events: [{ subject: 'catalog.movie.published', payload: { movie: next, actorId: admin.subject } }] };
    });
  }

  /** Archiving is idempotent; DELETE archives too (rentals and watch history keep referring to the title). */
  async archive(principal: Principal | undefined, id: string): Promise<MovieRecord> {
    const admin = requireAdmin(principal);
    return this.mutate(id, (m) => {
      if (m.status === 'archived') return null;
      const next: MovieRecord = { ...m, status: 'archived' };
      return { movie: next, events: [{ subject: 'catalog.movie.archived', payload: { movie: next, actorId: admin.subject } }] };
    });
  }

  async createUpload(principal: Principal | undefined, id: string, corsOrigin: string): Promise<{ uploadId: string; uploadUrl: string; movie: MovieRecord }> {
    const admin = requireAdmin(principal);
    if (corsOrigin) {
      const v = new Violations();
      if (!/^https?:\/\/[^/\s]+$/.test(corsOrigin)) v.add('corsOrigin', 'must be an origin such as https://admin.example.com');
      v.throwIfAny();
    }
    const current = await this.deps.movies.findById(id);
    if (!current) throw notFound('movie', shortId(id));
    assertUploadable(current);
    const upload = await this.deps.mux.createDirectUpload({ movieId: id, corsOrigin: corsOrigin || this.deps.defaultCorsOrigin });
    const movie = await this.mutate(id, (m) => {
      assertUploadable(m);
      const now = this.deps.clock.now();
      const video: VideoRecord = {
        uploadId: upload.uploadId, assetId: '', playbackId: '', status: 'waiting', durationSeconds: 0, maxResolution: '', aspectRatio: '',
        errors: [], updatedAt: now, lastEventAt: null,
      };
      const next = { ...m, video };
      return { movie: next, events: [{ subject: 'catalog.movie.updated', payload: { movie: next, changedFields: ['video'], actorId: admin.subject } }] };
    });
    return { ...upload, movie };
  }

  // ------------------------------------------------------------------ Mux

  /** Stores the webhook event once and moves the title's asset along its state machine. */
  async handleMuxEvent(event: MuxEvent, raw: string): Promise<'duplicate' | 'applied' | 'unchanged'> {
    const result = await this.deps.movies.recordMuxEvent(event, raw, (movie) => {
      if (event.type === 'ignored' || !movie) return null;
      const now = this.deps.clock.now();
      const t = applyAssetEvent(movie.video, event, now);
      if (t.kind === 'ignored') return null;
      const next: MovieRecord = { ...movie, video: t.video };
      const events: CatalogEvent[] = [{ subject: 'catalog.movie.updated', payload: { movie: next, changedFields: ['video'], actorId: 'mux' } }];
      if (t.became === 'processing') events.push({ subject: 'catalog.asset.created', payload: { movieId: movie.id, uploadId: t.video.uploadId, assetId: t.video.assetId } });
      if (t.became === 'ready')
        events.push({
          subject: 'catalog.asset.ready',
          payload: {
            movieId: movie.id, assetId: t.video.assetId, playbackId: t.video.playbackId, durationSeconds: t.video.durationSeconds,
            maxResolution: t.video.maxResolution, aspectRatio: t.video.aspectRatio,
          },
        });
      if (t.became === 'errored') events.push({ subject: 'catalog.asset.errored', payload: { movieId: movie.id, assetId: t.video.assetId, errors: t.video.errors } });
      return { movie: next, events };
    });
    if (result.outcome === 'applied') this.deps.index.upsert(result.movie);
    return result.outcome;
  }

  // ------------------------------------------------------------------ helpers

  private async filter(caller: Caller | undefined, p: BrowseParams, v: Violations): Promise<TitleFilter> {
    const filter: TitleFilter = { source: this.source(p.source, v), includeUnpublished: false, now: this.deps.clock.now() };
    if (p.genre.trim()) {
      // Partner feeds may use genres outside our vocabulary: an unknown name just matches nothing.
      filter.genre = fold(canonicalGenre(p.genre) ?? p.genre.trim());
    }
    if (p.language.trim()) {
      const l = p.language.trim().toLowerCase();
      if (!(KNOWN_LANGUAGES as readonly string[]).includes(l)) v.add('language', `unknown language ${quoted(p.language)} (ISO 639-1, e.g. en, fr)`);
      filter.language = l;
    }
    if (p.releaseYearMin) filter.yearMin = p.releaseYearMin;
    if (p.releaseYearMax) filter.yearMax = p.releaseYearMax;
    if (p.releaseYearMin < 0) v.add('releaseYearMin', 'must not be negative');
    if (p.releaseYearMax < 0) v.add('releaseYearMax', 'must not be negative');
    if (p.releaseYearMin && p.releaseYearMax && p.releaseYearMin > p.releaseYearMax) v.add('releaseYearMax', 'must not be before releaseYearMin');
    if (p.maturity.trim()) {
      const m = parseMaturity(p.maturity);
      if (!m) v.add('maturity', `unknown rating ${quoted(p.maturity)} (${MATURITY_LEVELS.join(', ')})`);
      else filter.maxMaturityRank = maturityRank(m);
    }
    // Asking for titles viewers cannot see (or for their video's state) is an admin's question.
    const status = (p.status ?? '').trim();
    const videoStatus = (p.videoStatus ?? '').trim();
    const adminField = p.includeUnpublished ? 'includeUnpublished' : status ? 'status' : videoStatus ? 'videoStatus' : undefined;
    if (adminField) {
      if (!caller) throw unauthenticated(`${adminField}: sign in as an admin`);
      if (!caller.principal.roles.includes('admin')) throw permissionDenied(`${adminField}: needs the admin role`, 'ADMIN_ONLY');
      filter.includeUnpublished = true;
    }
    if (status) {
      const s = status.toLowerCase().replace(/^movie_status_/, '');
      if (!(MOVIE_STATUSES as readonly string[]).includes(s)) v.add('status', `unknown status ${quoted(p.status)} (${MOVIE_STATUSES.join(', ')})`);
      else filter.status = s as MovieStatus;
    }
    if (videoStatus) {
      const s = videoStatus.toLowerCase().replace(/^asset_status_/, '');
      const known = ['none', ...ASSET_STATUSES];
      if (!known.includes(s)) v.add('videoStatus', `unknown video status ${quoted(p.videoStatus)} (${known.join(', ')})`);
      else filter.videoStatus = s as AssetStatus | 'none';
    }
    if (p.profileId.trim() && v.empty) {
      const limit = await this.profileLimit(caller, p.profileId);
      filter.maxMaturityRank = Math.min(filter.maxMaturityRank ?? Infinity, maturityRank(limit));
    }
    v.throwIfAny();
    return filter;
  }

  /** One of the caller's profiles' maturity limit (identity answers NOT_FOUND for another account's). */
  private async profileLimit(caller: Caller | undefined, profileId: string): Promise<Maturity> {
    if (!caller) throw unauthenticated('profileId: sign in to browse as one of your profiles');
    return this.deps.profiles.maxMaturity(caller.accessToken, profileId.trim());
  }

  private source(s: string, v: Violations): SourceFilter {
    const src = s.trim().toLowerCase();
    if (src === '' || src === OWN_SOURCE) return { kind: 'own' };
    if (src === 'partners') return { kind: 'partners' };
    if (src === 'all') return { kind: 'all' };
    const partners = this.deps.partnerIds();
    if (partners.includes(src)) return { kind: 'partner', partnerId: src };
    v.add('source', `unknown source ${quoted(s)} (${[OWN_SOURCE, 'partners', 'all', ...partners].join(', ')})`);
    return { kind: 'own' };
  }

  /** Read, change, compare-and-set; retried when another request won the race. `null` = nothing to do. */
  private async mutate(id: string, change: (m: MovieRecord) => { movie: MovieRecord; events: CatalogEvent[] } | null): Promise<MovieRecord> {
    if (id.startsWith(PARTNER_ID_PREFIX))
      throw new DomainError('failed_precondition', 'PARTNER_TITLE', `movie ${id} is a partner title; it changes only through the partner's feed`);
    for (let attempt = 0; ; attempt++) {
      const current = await this.deps.movies.findById(id);
      if (!current) throw notFound('movie', shortId(id));
      const result = change(current);
      if (!result) return current;
      try {
        const stored = await this.deps.movies.replace({ ...result.movie, updatedAt: this.deps.clock.now() }, current.version, result.events);
        this.deps.index.upsert(stored);
        return stored;
      } catch (e) {
        if (!(e instanceof DomainError && e.reason === 'CONCURRENT_MODIFICATION') || attempt >= 3) throw e;
      }
    }
  }
}

function assertUploadable(m: MovieRecord): void {
  if (m.status === 'published' && m.video?.status === 'ready')
    throw new DomainError('failed_precondition', 'MOVIE_PUBLISHED', `movie ${m.id} is published with a ready video; archive it before replacing the video`);
}

const isPrivileged = (p: Principal | undefined): boolean => !!p && (p.roles.includes('admin') || p.isService);

export function parseMaturity(s: string): Maturity | undefined {
  const m = s.trim().toUpperCase().replace(/^MATURITY_RATING_/, '').replace('-', '');
  return (MATURITY_LEVELS as readonly string[]).includes(m) ? (m as Maturity) : undefined;
}

/** The update mask in public names → input fields; an empty mask means "every field given". */
function resolveMask(mask: string[], input: MovieInput): MovieField[] {
  const v = new Violations();
  const fields = new Set<MovieField>();
  if (mask.length === 0) {
    for (const f of MOVIE_FIELDS) if (input[f] !== undefined) fields.add(f);
    if (fields.size === 0) v.add('updateMask', 'nothing to update: send fields in movie or name them in updateMask');
  }
  for (const path of mask) {
    if (path === 'artwork') {
      fields.add('thumbnailUrl');
      fields.add('backdropUrl');
    } else if (path === 'artwork.thumbnailUrl') fields.add('thumbnailUrl');
    else if (path === 'artwork.backdropUrl') fields.add('backdropUrl');
    else if ((MOVIE_FIELDS as readonly string[]).includes(path) && path !== 'thumbnailUrl' && path !== 'backdropUrl') fields.add(path as MovieField);
    else if (['status', 'video', 'rating', 'id', 'source', 'partner', 'popularity', 'version', 'createTime', 'updateTime', 'publishTime'].includes(path))
      v.add('updateMask', `${quoted(path)} cannot be updated directly${path === 'status' ? ' (use :publish or :archive)' : path === 'video' ? ' (use :createUpload)' : ''}`);
    else v.add('updateMask', `unknown field ${quoted(path)}`);
  }
  v.throwIfAny();
  return [...fields];
}

const publicField = (f: MovieField): string => (f === 'thumbnailUrl' || f === 'backdropUrl' ? 'artwork' : f);

function applyInput(m: MovieRecord, input: MovieInput, fields: readonly MovieField[]): void {
  const clean = (list: string[] | undefined) => [...new Set((list ?? []).map((s) => s.trim()))];
  for (const f of fields) {
    switch (f) {
      case 'title':
        m.title = (input.title ?? '').trim();
        break;
      case 'description':
        m.description = (input.description ?? '').trim();
        break;
      case 'genres':
        m.genres = clean(input.genres).map((g) => canonicalGenre(g) ?? g);
        break;
      case 'directors':
        m.directors = clean(input.directors);
        break;
      case 'cast':
        m.cast = clean(input.cast);
        break;
      case 'releaseYear':
        m.releaseYear = input.releaseYear ?? 0;
        break;
      case 'runtimeMinutes':
        m.runtimeMinutes = input.runtimeMinutes ?? 0;
        break;
      case 'maturityRating':
        m.maturity = input.maturityRating as Maturity;
        break;
      case 'audioLanguages':
        m.audioLanguages = clean(input.audioLanguages);
        break;
      case 'subtitleLanguages':
        m.subtitleLanguages = clean(input.subtitleLanguages);
        break;
      case 'thumbnailUrl':
      case 'backdropUrl':
      case 'trailerUrl':
        m[f] = (input[f] ?? '').trim();
        break;
      case 'requiredPlan':
        m.requiredPlan = (input.requiredPlan ?? null) as PlanTier | null;
        break;
      case 'rentalPrice':
        m.rentalPrice = input.rentalPrice ?? null;
        break;
      case 'availableFrom':
        m.availableFrom = input.availableFrom ?? null;
        break;
      case 'availableUntil':
        m.availableUntil = input.availableUntil ?? null;
        break;
    }
  }
}

/** Binds a page token to the query it was issued for. */
function hashQuery(q: unknown): string {
  let h = 2166136261;
  const s = JSON.stringify(q);
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return (h >>> 0).toString(36);
}

function positionKey(position: Record<string, string | number>, fingerprint: string): (string | number)[] {
  const bad = (description: string) =>
    new DomainError('invalid_argument', 'INVALID_PAGE_TOKEN', `pageToken: ${description}`, [{ field: 'pageToken', description }]);
  if (position.f !== fingerprint) throw bad('was issued for a different query; start again without a token');
  try {
    const key: unknown = JSON.parse(String(position.k));
    if (Array.isArray(key) && key.every((x) => typeof x === 'string' || typeof x === 'number')) return key as (string | number)[];
  } catch {
    // reported below
  }
  throw bad('not a token this API returned');
}
