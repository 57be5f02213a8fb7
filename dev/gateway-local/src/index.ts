export { startLocalGateway, type LocalGateway, type LocalGatewayOptions } from './gateway.js';
export {
  EnvoyConfigError,
  loadEnvoyConfig,
  parseEnvoyConfig,
  summarize,
  type GatewayConfig,
  type GatewaySummary,
  type HttpFilter,
  type JwtRequirement,
  type JwtRule,
  type Route,
} from './config/envoy-config.js';
export { matchRoute, type MatchInput } from './config/matchers.js';
