import { bool, grpcAddress, loadConfig, serviceConfigShape, z } from '@flix/config';

/** Everything recommendations reads from the environment, validated once at start. */
export function readRecommendationsConfig(env: Record<string, string | undefined> = process.env) {
  return loadConfig(
    {
      ...serviceConfigShape({ database: 'recommendations', grpcPort: 50056, httpPort: 8098 }),
      /** Identity's gRPC address: a profile's maturity limit, asked with the caller's token. */
      IDENTITY_GRPC_ADDR: grpcAddress('127.0.0.1:50051'),
      /** Catalog's gRPC address: ListMovies backfills the title copy. */
      CATALOG_GRPC_ADDR: grpcAddress('127.0.0.1:50052'),
      /** How often the model checks for new signals and retrains (a new signal shows within about this). */
      FLIX_RECS_REFRESH_SECONDS: z.coerce.number().min(0.2).max(600).default(15),
      /**
       * Trainings in between only read interactions changed since the last one; a full re-read this
       * often catches a write whose writer's clock was off by more than the 10 s overlap.
       */
      FLIX_RECS_FULL_RELOAD_MINUTES: z.coerce.number().min(1).default(60),
      /** How often the title copy is backfilled from the catalog's ListMovies (0: only at start). */
      FLIX_RECS_CATALOG_SYNC_SECONDS: z.coerce.number().min(0).default(600),
      /** Backfill from ListMovies at all (events alone suffice while the CATALOG stream has them). */
      FLIX_RECS_CATALOG_SYNC: bool(true),
      /** Neighbours kept per title. */
      FLIX_RECS_NEIGHBOURS: z.coerce.number().int().min(1).max(500).default(50),
    },
    env,
  );
}

export type RecommendationsConfig = ReturnType<typeof readRecommendationsConfig>;
