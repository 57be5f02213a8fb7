import type { ClientSession, MongoClient } from 'mongodb';

/** Runs `fn` in a MongoDB transaction (retried by the driver on transient errors). */
export async function inTransaction<T>(client: MongoClient, fn: (session: ClientSession) => Promise<T>): Promise<T> {
  const session = client.startSession();
  try {
    let result: T | undefined;
    await session.withTransaction(async () => {
      result = await fn(session);
    });
    return result as T;
  } finally {
    await session.endSession();
  }
}
