export { JsonStateFile } from './json-state.js';
export { Router, type RouteMatch, type RouteParams } from './router.js';
export { readBody, type BodyLimit } from './body.js';
export { listenHttp, urlHostFor, type HttpListener, type ListenOptions } from './listen.js';
export {
  cliTools,
  runEmulatorCli,
  type CliContext,
  type CliLogger,
  type CliOptions,
  type CliTools,
  type CliValues,
  type EmulatorCli,
  type RunningServer,
} from './cli.js';
