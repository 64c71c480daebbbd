/** Free-form event properties or traits; serialised as JSON. */
export type Properties = Record<string, unknown>;

export type EventType = 'track' | 'page' | 'identify' | 'group' | 'alias';

/** UTM parameters in Segment's names, plus the ad networks' click ids. */
export interface Campaign {
  source?: string;
  medium?: string;
  name?: string;
  term?: string;
  content?: string;
  gclid?: string;
  fbclid?: string;
  msclkid?: string;
}

/** Where this browser's customer came from the first time: kept until `reset()`. */
export interface FirstTouch {
  url: string;
  referrer: string;
  campaign?: Campaign;
  timestamp: string;
}

export interface EventContext {
  page: { url: string; path: string; referrer: string; title: string; search: string };
  campaign?: Campaign;
  firstTouch?: FirstTouch;
  /** Epoch milliseconds of the session's start (RudderStack's convention). */
  sessionId: number;
  locale?: string;
  timezone?: string;
  screen?: { width: number; height: number };
  library: { name: string; version: string };
}

/** One Segment-spec event as it is queued and sent. */
export interface WaymarkEvent {
  type: EventType;
  messageId: string;
  timestamp: string;
  anonymousId: string;
  /** Null until `identify` or `alias`. */
  userId?: string | null;
  event?: string;
  name?: string;
  properties?: Properties;
  traits?: Properties;
  groupId?: string;
  previousId?: string;
  context: EventContext;
}

export interface WaymarkOptions {
  /** The project's public write key. */
  writeKey: string;
  /** The collector's origin, e.g. `https://collect.example.com`; defaults to where the script came from. */
  host?: string;
  /** Page views on load and on History API navigation (default true). */
  autoPage?: boolean;
  /** Events per request; a full batch is sent at once (default 20). */
  batchSize?: number;
  /** Milliseconds an event may wait for its batch to fill (default 2000). */
  flushInterval?: number;
  /** Unsent events kept across reloads; the oldest are dropped beyond it (default 500). */
  maxQueue?: number;
  /** No cookies and nothing in localStorage: identity and queue live in sessionStorage (default false). */
  cookieless?: boolean;
  /** Send nothing when the browser signals Global Privacy Control or Do Not Track (default true). */
  respectPrivacySignals?: boolean;
  /** Cookie domain for the anonymous id, e.g. `.example.com` to share it across subdomains. */
  cookieDomain?: string;
  /** Edits an event before it is queued; return `null` (or any falsy value) to drop it. */
  beforeSend?: (event: WaymarkEvent) => WaymarkEvent | null | undefined | false;
}

export interface Waymark {
  init(options: WaymarkOptions): void;
  page(name?: string, properties?: Properties): void;
  track(event: string, properties?: Properties): void;
  /** `identify(traits)` (Segment's form) adds traits to the current user. */
  identify(userId: string | null, traits?: Properties): void;
  identify(traits: Properties): void;
  alias(userId: string): void;
  group(groupId: string, traits?: Properties): void;
  /** Forgets the user: new anonymous id, new session, no user id (call it on logout). */
  reset(): void;
  /** Stops all sending, persistently, and deletes the stored ids and unsent events. */
  optOut(): void;
  /** Consents explicitly: sending resumes, also when GPC or Do Not Track is on. */
  optIn(): void;
  /** Sends what is queued now (within the retry schedule); resolves when done, never rejects. */
  flush(): Promise<void>;
}
