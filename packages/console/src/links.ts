import { type JourneyState, journeySearch } from './journey-state.ts';
import { hrefOf } from './router.tsx';

/** Links between screens, in one place so a screen's URL is spelled once. */

/** The customer view of a customer key (u:… or a:…); the key may hold any character. */
export const customerHref = (key: string): string => `/customers/${encodeURIComponent(key)}`;

/** Who dropped at `stage` (counted at the stage before it, not this one) in the Journey's cohort and mode. */
export function droppedHref(stage: string, journey: JourneyState): string {
  const search = journeySearch({ ...journey, breakdown: '' });
  search.set('stage', stage);
  return hrefOf('/dropped', search);
}

/** Why the Journey's customers at `stage` did not go on to the next (its cohort, mode and entry filters). */
export function whyDropHref(stage: string, journey: JourneyState): string {
  const search = journeySearch({ ...journey, breakdown: '', fromStage: '', toStage: '' });
  search.set('stage', stage);
  return hrefOf('/why-drop', search);
}
