import type * as catalog from '../gen/flix/catalog/v1/catalog_service';
import type { Movie } from '../gen/flix/catalog/v1/resources';
import { enc, q, type AdminRequests, type Params } from './requests';

/** What an upload reports while the file travels to Mux. */
export interface UploadProgress {
  loaded: number;
  total: number;
}

/** A PUT to Mux's storage failed (or was cancelled: `aborted`). */
export class UploadError extends Error {
  constructor(
    message: string,
    readonly aborted = false,
    readonly status = 0,
  ) {
    super(message);
    this.name = 'UploadError';
  }
}

/**
 * PUTs the file to a Mux direct-upload URL (not the gateway: no token, Mux checks the origin).
 * XMLHttpRequest rather than fetch, because only it reports upload progress in every browser.
 */
export function putVideoFile(url: string, file: Blob, opts: { onProgress?: (p: UploadProgress) => void; signal?: AbortSignal } = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(new UploadError('The upload was cancelled.', true));
      return;
    }
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url);
    if (file.type) xhr.setRequestHeader('content-type', file.type);
    xhr.upload.onprogress = (e) => opts.onProgress?.({ loaded: e.loaded, total: e.lengthComputable ? e.total : file.size });
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve();
      else reject(new UploadError(`Mux refused the file (HTTP ${xhr.status}).`, false, xhr.status));
    };
    xhr.onerror = () => reject(new UploadError('The file could not be sent to Mux. Check your connection and try again.'));
    xhr.onabort = () => reject(new UploadError('The upload was cancelled.', true));
    opts.signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(file);
  });
}

/** Studio → Titles: the catalog's admin API (every state, any source) and the video upload. */
export const titlesAdmin = ({ get, post, http }: AdminRequests) => ({
  /** Titles in every state (drafts and archived too); status and videoStatus filter them. */
  titles: (params: Params<catalog.ListMoviesRequest, 'includeUnpublished'> = {}) =>
    get<catalog.ListMoviesResponse>('/v1/movies', { ...q(params), includeUnpublished: true }),
  /** The same filters over a typo-tolerant search. */
  searchTitles: (params: Params<catalog.SearchMoviesRequest, 'includeUnpublished'>) =>
    get<catalog.SearchMoviesResponse>('/v1/movies:search', { ...q(params), includeUnpublished: true }),
  /** One title in any state, with its video's ids and errors (admins see them). */
  title: (movieId: string) => get<Movie>(`/v1/movies/${enc(movieId)}`),
  createTitle: (movie: Partial<Movie>) => post<Movie>('/v1/movies', movie),
  /** Changes exactly the fields named in `mask` (an emptied field is cleared, not skipped). */
  updateTitle: (movie: Partial<Movie> & { id: string }, mask: string[]) =>
    http.request<Movie>(`/v1/movies/${enc(movie.id)}`, { method: 'PATCH', body: movie, query: { updateMask: mask.join(',') } }),
  publishTitle: (movieId: string) => post<Movie>(`/v1/movies/${enc(movieId)}:publish`, {}),
  archiveTitle: (movieId: string) => post<Movie>(`/v1/movies/${enc(movieId)}:archive`, {}),
  /** A Mux direct-upload URL for the title's video, which accepts a PUT from `corsOrigin`. */
  createTitleUpload: (movieId: string, corsOrigin: string) =>
    post<catalog.CreateUploadResponse>(`/v1/movies/${enc(movieId)}:createUpload`, { corsOrigin }),
  putVideoFile,
});
