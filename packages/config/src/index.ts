export { booleanFlag, ConfigError, commaList, durationMs, loadConfig, port } from './env.ts';
