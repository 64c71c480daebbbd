/**
 * The time zones to suggest: the browser's IANA list (which leaves out UTC itself). Typing any other name
 * stays possible; the API judges it.
 */
const ZONES = ['UTC', ...Intl.supportedValuesOf('timeZone').filter((zone) => zone !== 'UTC')];

/** An IANA time zone, typed or picked from the browser's list. */
export function TimeZoneField({ value, onChange }: { value: string; onChange: (zone: string) => void }) {
  return (
    <label>
      Time zone
      <input
        name="timezone"
        value={value}
        size={16}
        list="time-zones"
        autoComplete="off"
        onChange={(e) => onChange(e.target.value)}
      />
      <datalist id="time-zones">
        {ZONES.map((zone) => (
          <option key={zone} value={zone} />
        ))}
      </datalist>
    </label>
  );
}
