export { runCli, UsageError } from './cli.ts';
export { type Credentials, readCredentials } from './credentials.ts';
export { fetchStageFunnel, formatFunnelTable, runDemo, sendEvents } from './demo.ts';
export { loadStartEnv, StartEnv } from './env.ts';
export {
  expectedReached,
  generateShoppers,
  type Shopper,
  type ShopperEvent,
  seededRandom,
} from './shoppers.ts';
export { type RunningStack, startStack } from './start.ts';
