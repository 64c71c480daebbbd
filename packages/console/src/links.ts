import { type JourneyState, journeySearch } from './journey-state.ts';
import { hrefOf } from './router.tsx';

/** Links between screens, in one place so a screen's URL is spelled once. */

/** The customer view of a customer key (u:… or a:…); the key may hold any character. */
export const customerHref = (key: string): string => `/customers/${encodeURIComponent(key)}`;

/** A view of the Journey's cohort (its range, mode, stage range and entry filters; no breakdown) at `stage`. */
function atStageHref(path: string, stage: string, journey: JourneyState): string {
  const search = journeySearch({ ...journey, breakdown: '' });
  search.set('stage', stage);
  return hrefOf(path, search);
}

/** Who dropped at `stage` (counted at the stage before it, not this one). */
export const droppedHref = (stage: string, journey: JourneyState): string =>
  atStageHref('/dropped', stage, journey);

/** Why the customers counted at `stage` did not go on to the next. */
export const whyDropHref = (stage: string, journey: JourneyState): string =>
  atStageHref('/why-drop', stage, journey);
