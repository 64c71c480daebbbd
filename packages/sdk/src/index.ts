export { campaignOf } from './campaign.ts';
export { createWaymark } from './tracker.ts';
export type {
  Campaign,
  EventContext,
  EventType,
  FirstTouch,
  Properties,
  Waymark,
  WaymarkEvent,
  WaymarkOptions,
} from './types.ts';
export { uuidv7 } from './uuid.ts';
export { VERSION } from './version.ts';

import { createWaymark } from './tracker.ts';

/** The page's tracker, for module users: `import { waymark } from '@waymark/sdk'; waymark.init({…})`. */
export const waymark = createWaymark();
