/** `@opsbook/server`: the public API (re-exports only). */
export { createServer } from './server';
export type { ListenInfo, OpsbookServer, ServerDeps } from './server';
export { DEFAULTS, isLoopbackHost, resolveConfig } from './config';
export type { ServerConfig, ServerConfigInput } from './config';
export { Errors, OpsbookError } from './errors';
export type { ErrorInfo } from './errors';
export { createLogger } from './log';
export type { Logger, LogLevel, LogSink } from './log';
export type { FsLayer } from './contents/atomic';
export { main, parseArgs } from './cli';
