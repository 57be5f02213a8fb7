import { createPrivateKey, webcrypto } from 'node:crypto';

type CryptoKey = webcrypto.CryptoKey;
import Mux from '@mux/mux-node';
import type { Db } from 'mongodb';
import { isDuplicateKey } from '@flix/mongo';
import type { PlaybackTokens } from '../domain/model.js';
import type { PlaybackTokenSigner } from '../domain/ports.js';

export interface MuxSigningConfig {
  tokenId: string;
  tokenSecret: string;
  /** The emulator's API; absent = api.mux.com. */
  baseUrl?: string;
  /** A Mux signing key (id + base64 PEM private key, as Mux hands them out). */
  signingKeyId?: string;
  signingKeyPrivate?: string;
  /** Where players fetch video and images: stream.mux.com / image.mux.com, or the local origin. */
  streamBaseUrl: string;
  imageBaseUrl: string;
}

interface StoredKey {
  _id: 'mux';
  keyId: string;
  privateKey: string;
  createdAt: Date;
}

/**
 * Signs Mux playback tokens with `@mux/mux-node` (RS256; sub = playback id; aud v, t, s). The
 * signing key comes from configuration; without one (the embedded default) playback creates a
 * key through the Mux API once and keeps it in its database, so every instance signs alike.
 * The key is imported once: the SDK would otherwise parse the PEM for every token it signs.
 */
export class MuxTokenSigner implements PlaybackTokenSigner {
  private constructor(
    private readonly mux: Mux,
    private readonly key: { id: string; secret: CryptoKey },
    private readonly cfg: MuxSigningConfig,
  ) {}

  static async create(cfg: MuxSigningConfig, db: Db): Promise<MuxTokenSigner> {
    const mux = new Mux({ tokenId: cfg.tokenId, tokenSecret: cfg.tokenSecret, ...(cfg.baseUrl ? { baseURL: cfg.baseUrl } : {}) });
    if (cfg.signingKeyId && cfg.signingKeyPrivate) return new MuxTokenSigner(mux, { id: cfg.signingKeyId, secret: await importSigningKey(cfg.signingKeyPrivate) }, cfg);
    const keys = db.collection<StoredKey>('signing_keys');
    let stored = await keys.findOne({ _id: 'mux' });
    if (!stored) {
      const created = await mux.system.signingKeys.create();
      try {
        await keys.insertOne({ _id: 'mux', keyId: created.id, privateKey: created.private_key ?? '', createdAt: new Date() });
      } catch (e) {
        // Another instance created one at the same moment: use theirs.
        if (!isDuplicateKey(e)) throw e;
      }
      stored = await keys.findOne({ _id: 'mux' });
    }
    return new MuxTokenSigner(mux, { id: stored!.keyId, secret: await importSigningKey(stored!.privateKey) }, cfg);
  }

  get signingKeyId(): string {
    return this.key.id;
  }

  async sign(playbackId: string, expiresAt: Date, maxResolution: string | null): Promise<PlaybackTokens> {
    const seconds = Math.max(60, Math.ceil((expiresAt.getTime() - Date.now()) / 1000));
    const tokens = await this.mux.jwt.signPlaybackId(playbackId, {
      keyId: this.key.id,
      keySecret: this.key.secret,
      expiration: `${seconds}s`,
      // The plan's quality ceiling travels inside the video token, where a player cannot strip it.
      type: [['video', maxResolution ? { max_resolution: maxResolution } : {}], 'thumbnail', 'storyboard'],
    });
    const video = tokens['playback-token'] ?? '';
    const thumbnail = tokens['thumbnail-token'] ?? '';
    const storyboard = tokens['storyboard-token'] ?? '';
    const stream = this.cfg.streamBaseUrl.replace(/\/$/, '');
    const image = this.cfg.imageBaseUrl.replace(/\/$/, '');
    return {
      playbackUrl: `${stream}/${playbackId}.m3u8?token=${video}`,
      playbackToken: video,
      thumbnailUrl: `${image}/${playbackId}/thumbnail.jpg?token=${thumbnail}`,
      thumbnailToken: thumbnail,
      storyboardUrl: `${image}/${playbackId}/storyboard.vtt?token=${storyboard}`,
      storyboardToken: storyboard,
      expiresAt: new Date(Date.now() + seconds * 1000),
    };
  }
}

/** A Mux private key (PEM, PKCS#1 or #8, or base64 of the PEM as Mux hands it out) as a signing CryptoKey. */
async function importSigningKey(secret: string): Promise<CryptoKey> {
  const trimmed = secret.trim();
  const pem = trimmed.startsWith('-----BEGIN') ? trimmed : Buffer.from(trimmed, 'base64').toString('utf8');
  const pkcs8 = createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' });
  return webcrypto.subtle.importKey('pkcs8', pkcs8, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign']);
}
