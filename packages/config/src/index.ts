export {
  booleanFlag,
  ConfigError,
  commaList,
  durationMs,
  infrastructureEnv,
  LogLevel,
  loadConfig,
  port,
} from './env.ts';
