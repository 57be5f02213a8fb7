import type { Collection, Db } from 'mongodb';
import type { SigningKeyRepository, StoredSigningKey } from '../domain/ports.js';

type KeyDoc = Omit<StoredSigningKey, 'kid'> & { _id: string };

/**
 * Signing keys live in identity's own database so every instance signs with the same key.
 * Production should wrap privateJwk with a KMS key; the embedded default keeps it as is.
 */
export class MongoSigningKeyRepository implements SigningKeyRepository {
  private readonly keys: Collection<KeyDoc>;

  constructor(db: Db) {
    this.keys = db.collection<KeyDoc>('signing_keys');
  }

  async all(): Promise<StoredSigningKey[]> {
    const docs = await this.keys.find().sort({ createdAt: -1 }).toArray();
    return docs.map(({ _id, ...rest }) => ({ kid: _id, ...rest }));
  }

  async insert(key: StoredSigningKey): Promise<void> {
    const { kid, ...rest } = key;
    await this.keys.insertOne({ _id: kid, ...rest });
  }

  async delete(kids: string[]): Promise<void> {
    await this.keys.deleteMany({ _id: { $in: kids } });
  }
}
