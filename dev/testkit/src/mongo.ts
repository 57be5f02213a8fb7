export interface MongoHandle {
  /** Connection string for the official driver. */
  url: string;
  stop(): Promise<void>;
}

/** Placeholder until the embedded server lands (dev/mongo-embedded). */
export async function startMongo(): Promise<MongoHandle> {
  if (process.env.MONGO_URL) return { url: process.env.MONGO_URL, stop: async () => {} };
  throw new Error('embedded MongoDB not built yet');
}
