import type { listEventNames, listEventProperties, listPropertyValues } from '@waymark/api-contract';
import { type ReactNode, useId, useMemo, useState } from 'react';
import { type FieldError, useRoute } from './api.ts';
import { formatCount } from './format.ts';
import { SelectOptions } from './ui.tsx';

/**
 * Pickers over the project's event catalog (docs/decisions/0025-event-catalog.md), shared by the custom
 * funnel and experiments screens: names and keys are chosen from what was seen in the range, with counts.
 */

type Range = { readonly from: string; readonly to: string };

const catalogQuery = (range: Range, extra: Record<string, string>) =>
  new URLSearchParams({
    from: range.from,
    to: range.to,
    ...Object.fromEntries(Object.entries(extra).filter(([, v]) => v !== '')),
  });

/** A labelled control with the API's messages for its field, tied to it for assistive technology. */
export function Field({
  label,
  errors,
  children,
}: {
  label: string;
  errors: readonly FieldError[];
  children: (props: { id: string; 'aria-invalid'?: true; 'aria-describedby'?: string }) => ReactNode;
}) {
  const id = useId();
  const messageId = `${id}-errors`;
  const invalid = errors.length > 0 ? { 'aria-invalid': true as const, 'aria-describedby': messageId } : {};
  return (
    <label htmlFor={id}>
      {label}
      {children({ id, ...invalid })}
      {errors.length > 0 && (
        <span id={messageId} className="field-error">
          {errors.map((e) => e.message).join('; ')}
        </span>
      )}
    </label>
  );
}

/**
 * An event name picked from the catalog (most frequent first), narrowed by what is typed. `anyLabel` names
 * what no event means where that is a valid choice (an experiment's exposure: any touchpoint).
 */
export function EventPicker({
  range,
  label,
  name,
  value,
  errors = [],
  anyLabel,
  onChange,
}: {
  range: Range;
  label: string;
  name: string;
  value: string;
  errors?: readonly FieldError[];
  anyLabel?: string;
  onChange: (value: string) => void;
}) {
  const [prefix, setPrefix] = useState('');
  const catalog = useRoute<typeof listEventNames>(
    '/v1/projects/:projectId/events',
    catalogQuery(range, { prefix, limit: '50' }),
  );
  const events = catalog.data?.events ?? [];
  const options = useMemo(
    () => ({
      '':
        anyLabel ??
        (catalog.isPending ? 'Loading events…' : events.length === 0 ? 'No events seen' : 'Choose an event…'),
      ...Object.fromEntries(
        events.map((e) => [e.event, `${e.event} (${formatCount(e.customers)} customers)`]),
      ),
    }),
    [anyLabel, catalog.isPending, events],
  );
  return (
    <>
      <label>
        Filter {label.toLowerCase()}s
        <input
          name={`${name}Prefix`}
          type="search"
          placeholder="Starts with…"
          size={12}
          value={prefix}
          onChange={(e) => setPrefix(e.target.value)}
        />
      </label>
      <Field
        label={label}
        errors={catalog.isError ? [{ field: 'catalog', message: catalog.error.message }, ...errors] : errors}
      >
        {(props) => (
          <select
            name={name}
            className="catalog-picker"
            value={value}
            onChange={(e) => onChange(e.target.value)}
            {...props}
          >
            <SelectOptions values={options} current={value} />
          </select>
        )}
      </Field>
    </>
  );
}

/** The property keys of an event's touchpoints ('' for every event's), most frequent first. */
export function usePropertyKeys(range: Range, event: string) {
  const keys = useRoute<typeof listEventProperties>(
    '/v1/projects/:projectId/events/properties',
    catalogQuery(range, { event, limit: '100' }),
  );
  return keys.data?.properties ?? [];
}

/** A property key picked from those the event's touchpoints carry, each with its customers. */
export function PropertyPicker({
  range,
  event,
  label,
  name,
  value,
  onChange,
}: {
  range: Range;
  event: string;
  label: string;
  name: string;
  value: string;
  onChange: (value: string) => void;
}) {
  const keys = usePropertyKeys(range, event);
  const options = {
    '': 'Choose a property…',
    ...Object.fromEntries(
      keys.map((p) => [p.property, `${p.property} (${formatCount(p.customers)} customers)`]),
    ),
  };
  return (
    <label>
      {label}
      <select name={name} className="catalog-picker" value={value} onChange={(e) => onChange(e.target.value)}>
        <SelectOptions values={options} current={value} />
      </select>
    </label>
  );
}

/**
 * A value typed freely, with the property's values in the catalog offered as suggestions (a value not seen
 * yet can still be named). `asText` is how a stored value is typed into this input.
 */
export function ValueInput({
  range,
  event,
  property,
  label,
  name,
  value,
  placeholder,
  asText,
  onChange,
}: {
  range: Range;
  event: string;
  property: string;
  label: string;
  name: string;
  value: string;
  placeholder?: string;
  asText: (value: string | number | boolean | null) => string;
  onChange: (value: string) => void;
}) {
  const values = useRoute<typeof listPropertyValues>(
    '/v1/projects/:projectId/events/properties/values',
    catalogQuery(range, { event, property }),
    {},
    { enabled: property !== '' },
  );
  const listId = useId();
  // The list outside the label: its options' text would otherwise join the input's accessible name.
  return (
    <>
      <label>
        {label}
        <input
          name={name}
          list={listId}
          value={value}
          placeholder={placeholder}
          onChange={(e) => onChange(e.target.value)}
        />
      </label>
      <datalist id={listId}>
        {(values.data?.values ?? []).map((v) => (
          <option key={JSON.stringify(v.value)} value={asText(v.value)}>
            {formatCount(v.touchpoints)} touchpoints
          </option>
        ))}
      </datalist>
    </>
  );
}
