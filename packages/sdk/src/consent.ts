/** Global Privacy Control or Do Not Track is on in this browser. */
export function privacySignal(): boolean {
  const nav = navigator as Navigator & { globalPrivacyControl?: boolean };
  return !!nav.globalPrivacyControl || nav.doNotTrack === '1';
}

/**
 * Whether events may be sent. `choice` is what the visitor chose through `optOut()` ('0') / `optIn()` ('1');
 * an explicit choice wins over the browser's signals, which count only when the site respects them.
 */
export function sendingAllowed(choice: string | null, respectSignals: boolean): boolean {
  return choice === '1' || (choice !== '0' && !(respectSignals && privacySignal()));
}
