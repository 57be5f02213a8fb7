export { GrpcServer, type AddServiceOptions, type GrpcServerOptions, type ServiceHandlers, type UnaryHandler } from './server.js';
export { createClient, type CallOptions, type ClientOptions, type PromiseClient } from './client.js';
export { type CallContext, clientIpFrom } from './context.js';
export { CODE_BY_KIND, toServiceError, fromServiceError } from './status.js';
