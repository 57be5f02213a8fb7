import { createClient, type PromiseClient } from '@flix/grpc';
import { CatalogServiceService } from '@flix/proto/flix/catalog/v1/catalog_service';
import type { TitleStore } from '../domain/ports.js';
import { titleFromMovie } from './titles.js';

/**
 * Pages through the catalog's public ListMovies and stores every title it shows (published and
 * available). Catalog events are the primary feed; this backfills a fresh database whose events
 * are older than the stream keeps (a version it already has is left alone).
 */
export class CatalogSync {
  private readonly client: PromiseClient<typeof CatalogServiceService>;

  constructor(address: string, private readonly titles: TitleStore) {
    this.client = createClient(CatalogServiceService, address, { deadlineMs: 10_000 });
  }

  async run(): Promise<{ seen: number; applied: number }> {
    let pageToken = '';
    let seen = 0;
    let applied = 0;
    do {
      const res = await this.client.listMovies({
        pageSize: 100,
        pageToken,
        genre: '',
        language: '',
        releaseYearMin: 0,
        releaseYearMax: 0,
        maturity: '',
        profileId: '',
        source: 'flix',
        includeUnpublished: false,
        orderBy: 'title',
      });
      for (const m of res.movies) {
        seen++;
        if ((await this.titles.upsert(titleFromMovie(m))) === 'applied') applied++;
      }
      pageToken = res.nextPageToken;
    } while (pageToken);
    return { seen, applied };
  }

  close(): void {
    this.client.close();
  }
}
