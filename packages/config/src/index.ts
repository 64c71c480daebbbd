export {
  booleanFlag,
  byteSize,
  ConfigError,
  commaList,
  durationMs,
  infrastructureEnv,
  LogLevel,
  loadConfig,
  port,
} from './env.ts';
export { type Cidr, parseCidr, webhookEnv } from './webhook-env.ts';
