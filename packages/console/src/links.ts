import { type JourneyState, journeySearch } from './journey-state.ts';
import { hrefOf } from './router.tsx';

/** Links between screens, in one place so a screen's URL is spelled once. */

/** The customer view of a customer key (u:… or a:…); the key may hold any character. */
export const customerHref = (key: string): string => `/customers/${encodeURIComponent(key)}`;

/** Who dropped at `stage` (they reached the stage before it, not this one) in the Journey's cohort. */
export const droppedHref = (stage: string, journey: Pick<JourneyState, 'from' | 'to' | 'window'>): string =>
  hrefOf('/dropped', { stage, from: journey.from, to: journey.to, window: journey.window });

/** Why the Journey's customers at `stage` did not go on to the next (its cohort, mode and entry filters). */
export function whyDropHref(stage: string, journey: JourneyState): string {
  const search = journeySearch({ ...journey, breakdown: '', fromStage: '', toStage: '' });
  search.set('stage', stage);
  return hrefOf('/why-drop', search);
}
