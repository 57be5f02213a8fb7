import { Counter, Histogram } from 'prom-client';

export const rpcDuration = new Histogram({
  name: 'flix_grpc_server_handling_seconds',
  help: 'Time to handle a unary RPC, by method and status code',
  labelNames: ['service', 'method', 'code'] as const,
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
});

export const rpcErrors = new Counter({
  name: 'flix_grpc_server_errors_total',
  help: 'RPCs that ended with an internal (unexpected) error',
  labelNames: ['service', 'method'] as const,
});

export const rpcRequests = new Counter({
  name: 'flix_grpc_server_requests_total',
  help: 'Unary RPCs handled, by method and status code (errors by code: code != "OK")',
  labelNames: ['service', 'method', 'code'] as const,
});
