import { jwksEnv, loadConfig, port, serviceEnv, z } from '@flix/config';

const hostPort = z.string().regex(/^[\w.-]+:\d+$/, 'must be host:port');

/** Everything engagement reads from the environment, validated once at start. */
export function readEngagementConfig(env: Record<string, string | undefined> = process.env) {
  return loadConfig(
    {
      ...serviceEnv,
      ...jwksEnv,
      GRPC_PORT: port(50055),
      HTTP_PORT: port(8097),
      MONGO_DB: z.string().min(1).default('engagement'),
      /** Catalog's gRPC address: is this a title a viewer can rate or list? */
      CATALOG_GRPC_ADDR: hostPort.default('127.0.0.1:50052'),
      /** Identity's gRPC address: is this profile the caller's? */
      IDENTITY_GRPC_ADDR: hostPort.default('127.0.0.1:50051'),
      /** How long a title the catalog knows is remembered. */
      FLIX_MOVIE_CACHE_SECONDS: z.coerce.number().min(0).max(3600).default(60),
    },
    env,
  );
}

export type EngagementConfig = ReturnType<typeof readEngagementConfig>;
