import { defineEvent } from '@flix/events';
import {
  AssetCreated,
  AssetErrored,
  AssetReady,
  MovieArchived,
  MovieCreated,
  MoviePublished,
  MovieUpdated,
} from '@flix/proto/flix/catalog/v1/events';
import { producedBy } from './contract.js';

/** Catalog's events: the single definition of each subject ↔ proto type pairing. */
export const catalogEvents = producedBy('catalog', {
  movieCreated: defineEvent({ subject: 'catalog.movie.created', type: 'flix.catalog.v1.MovieCreated', codec: MovieCreated }),
  movieUpdated: defineEvent({ subject: 'catalog.movie.updated', type: 'flix.catalog.v1.MovieUpdated', codec: MovieUpdated }),
  moviePublished: defineEvent({ subject: 'catalog.movie.published', type: 'flix.catalog.v1.MoviePublished', codec: MoviePublished }),
  movieArchived: defineEvent({ subject: 'catalog.movie.archived', type: 'flix.catalog.v1.MovieArchived', codec: MovieArchived }),
  assetCreated: defineEvent({ subject: 'catalog.asset.created', type: 'flix.catalog.v1.AssetCreated', codec: AssetCreated }),
  assetReady: defineEvent({ subject: 'catalog.asset.ready', type: 'flix.catalog.v1.AssetReady', codec: AssetReady }),
  assetErrored: defineEvent({ subject: 'catalog.asset.errored', type: 'flix.catalog.v1.AssetErrored', codec: AssetErrored }),
});

/** Stream that holds catalog's events. */
export const CATALOG_STREAM = 'CATALOG';
