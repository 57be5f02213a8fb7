import { grpcAddress, loadConfig, serviceConfigShape, z } from '@flix/config';

/** Everything engagement reads from the environment, validated once at start. */
export function readEngagementConfig(env: Record<string, string | undefined> = process.env) {
  return loadConfig(
    {
      ...serviceConfigShape({ database: 'engagement', grpcPort: 50055, httpPort: 8097 }),
      /** Catalog's gRPC address: is this a title a viewer can rate or list? */
      CATALOG_GRPC_ADDR: grpcAddress('127.0.0.1:50052'),
      /** Identity's gRPC address: is this profile the caller's? */
      IDENTITY_GRPC_ADDR: grpcAddress('127.0.0.1:50051'),
      /** How long a title the catalog knows is remembered. */
      FLIX_MOVIE_CACHE_SECONDS: z.coerce.number().min(0).max(3600).default(60),
    },
    env,
  );
}

export type EngagementConfig = ReturnType<typeof readEngagementConfig>;
