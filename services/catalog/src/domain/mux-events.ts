/**
 * The Mux webhook events the domain reacts to. The adapter (services/catalog/src/mux) maps
 * verified webhooks onto this type, so the domain does not depend on the adapter.
 */
export type MuxEvent =
  | { id: string; type: 'video.upload.asset_created'; createdAt: Date; uploadId: string; assetId: string; movieId: string }
  | { id: string; type: 'video.asset.created'; createdAt: Date; assetId: string; uploadId: string; movieId: string }
  | {
      id: string;
      type: 'video.asset.ready';
      createdAt: Date;
      assetId: string;
      uploadId: string;
      movieId: string;
      playbackId: string;
      durationSeconds: number;
      maxResolution: string;
      aspectRatio: string;
    }
  | { id: string; type: 'video.asset.errored'; createdAt: Date; assetId: string; uploadId: string; movieId: string; errors: string[] }
  | { id: string; type: 'ignored'; createdAt: Date; rawType: string };

/** What the catalog needs from Mux (implemented by src/mux). */
export interface MuxUploads {
  createDirectUpload(input: { movieId: string; corsOrigin: string }): Promise<{ uploadId: string; uploadUrl: string }>;
}
