import { type ComponentType, lazy } from 'react';
import { Journey } from './Journey.tsx';

/**
 * The console's screens, by path. The first screen is in the main bundle; the others load when first
 * opened, so the first screen's JavaScript stays within its budget (bench/console.bench.ts).
 * `:name` in a path is a parameter, passed to the screen as a prop.
 */
export interface Screen {
  readonly path: `/${string}`;
  readonly title: string;
  /** Shown in the navigation; screens reached from another one (a customer) are not. */
  readonly nav: boolean;
  readonly component: ComponentType<{ params: Record<string, string> }>;
}

export const SCREENS: readonly Screen[] = [
  { path: '/', title: 'Journey', nav: true, component: Journey },
  {
    path: '/trend',
    title: 'Conversion over time',
    nav: true,
    component: lazyScreen(() => import('./Trend.tsx'), 'TrendScreen'),
  },
  { path: '/flow', title: 'Flow', nav: true, component: lazyScreen(() => import('./Flow.tsx'), 'Flow') },
  {
    path: '/bottlenecks',
    title: 'Bottlenecks',
    nav: true,
    component: lazyScreen(() => import('./Bottlenecks.tsx'), 'Bottlenecks'),
  },
  {
    path: '/dropped',
    title: 'Who dropped',
    nav: false,
    component: lazyScreen(() => import('./Dropped.tsx'), 'Dropped'),
  },
  {
    path: '/why-drop',
    title: 'Why did they drop',
    nav: false,
    component: lazyScreen(() => import('./WhyDrop.tsx'), 'WhyDrop'),
  },
  {
    path: '/customers',
    title: 'Customers',
    nav: true,
    component: lazyScreen(() => import('./Customers.tsx'), 'Customers'),
  },
  {
    path: '/customers/:key',
    title: 'Customer',
    nav: false,
    component: lazyScreen(() => import('./Customer.tsx'), 'Customer'),
  },
  { path: '/live', title: 'Live', nav: true, component: lazyScreen(() => import('./Live.tsx'), 'Live') },
  {
    path: '/kpis',
    title: 'KPIs',
    nav: true,
    component: lazyScreen(() => import('./Kpis.tsx'), 'KpisScreen'),
  },
  {
    path: '/retention',
    title: 'Retention',
    nav: true,
    component: lazyScreen(() => import('./Retention.tsx'), 'Retention'),
  },
  {
    path: '/experiments',
    title: 'Experiments',
    nav: true,
    component: lazyScreen(() => import('./Experiments.tsx'), 'Experiments'),
  },
  {
    path: '/dashboards',
    title: 'Dashboards',
    nav: true,
    component: lazyScreen(() => import('./Dashboards.tsx'), 'Dashboards'),
  },
  {
    path: '/funnels',
    title: 'Custom funnel',
    nav: true,
    component: lazyScreen(() => import('./Funnels.tsx'), 'Funnels'),
  },
  {
    path: '/alerts',
    title: 'Alerts',
    nav: true,
    component: lazyScreen(() => import('./Alerts.tsx'), 'AlertsScreen'),
  },
  // Before `/alerts/:ruleId`, which would take "new" as a rule id.
  {
    path: '/alerts/new',
    title: 'New alert rule',
    nav: false,
    component: lazyScreen(() => import('./AlertRule.tsx'), 'NewAlertRule'),
  },
  {
    path: '/alerts/:ruleId',
    title: 'Alert rule',
    nav: false,
    component: lazyScreen(() => import('./AlertRule.tsx'), 'AlertRuleScreen'),
  },
  {
    path: '/settings',
    title: 'Settings',
    nav: true,
    component: lazyScreen(() => import('./Settings.tsx'), 'Settings'),
  },
];

/** The screen of `path` and its parameters, or undefined for a path no screen has. */
export function matchScreen(path: string): { screen: Screen; params: Record<string, string> } | undefined {
  const parts = path.split('/').filter(Boolean);
  for (const screen of SCREENS) {
    const pattern = screen.path.split('/').filter(Boolean);
    if (pattern.length !== parts.length) continue;
    const params: Record<string, string> = {};
    const matches = pattern.every((segment, i) => {
      const part = parts[i] as string;
      if (!segment.startsWith(':')) return segment === part;
      try {
        params[segment.slice(1)] = decodeURIComponent(part);
        return true;
      } catch {
        return false; // a malformed escape: no screen has it
      }
    });
    if (matches) return { screen, params };
  }
  return undefined;
}

/** A screen loaded on first use, as a named export of its module. */
export function lazyScreen<M extends Record<string, unknown>>(
  load: () => Promise<M>,
  name: keyof M,
): Screen['component'] {
  return lazy(async () => ({ default: (await load())[name] as Screen['component'] }));
}
