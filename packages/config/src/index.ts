export { ConfigError, loadConfig, port, durationMs, commaList, booleanFlag } from './env.ts';
