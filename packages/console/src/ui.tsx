import type { getProject } from '@waymark/api-contract';
import { type ReactNode, useRef } from 'react';
import { ApiProblem, useRoute } from './api.ts';
import { cellGrid, fileNamePart, toCsv } from './csv.ts';
import { formatDuration } from './format.ts';
import { MODES } from './journey-state.ts';
import { useSession } from './session.ts';
import { STAGE_NAMES } from './stages.ts';

export function Loading({ what }: { what: string }) {
  return (
    <p role="status" className="loading">
      Loading {what}…
    </p>
  );
}

/** An API problem (or any error) with its title and detail, announced to screen readers. */
export function ProblemView({ error }: { error: Error }) {
  const problem = error instanceof ApiProblem ? error.problem : { title: error.message, detail: undefined };
  return (
    <section role="alert" className="problem">
      <h2>{problem.title}</h2>
      {problem.detail && <p>{problem.detail}</p>}
    </section>
  );
}

/** A duration in seconds, its exact value machine-readable (`datetime`) for copying and for the tests. */
export function Duration({ seconds }: { seconds: number | null | undefined }) {
  return seconds === null || seconds === undefined ? (
    <span title="none">—</span>
  ) : (
    <time dateTime={`PT${Math.round(seconds)}S`} data-csv={seconds}>
      {formatDuration(seconds)}
    </time>
  );
}

/**
 * A table that scrolls sideways on a narrow screen instead of widening the page, with a button that
 * downloads it as `<screen>-<label>.csv`: every table view of the console can be exported, with no code of
 * its own.
 */
export function TableScroll({ label, children }: { label: string; children: ReactNode }) {
  const region = useRef<HTMLElement>(null);
  const download = () => {
    const table = region.current?.querySelector('table');
    if (!table) return;
    const screen = window.location.pathname.split('/')[1] || 'journey';
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([toCsv(tableCells(table))], { type: 'text/csv;charset=utf-8' }));
    link.download = `${fileNamePart(screen)}-${fileNamePart(label)}.csv`;
    link.click();
    // Revoked once the click's download has taken the blob, not before.
    setTimeout(() => URL.revokeObjectURL(link.href), 0);
  };
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard to scroll it
    <section className="table-scroll" aria-label={label} tabIndex={0} ref={region}>
      <div className="table-tools">
        <button type="button" onClick={download}>
          Download CSV
        </button>
      </div>
      {children}
    </section>
  );
}

/**
 * The table's header and body rows, cell by cell: a cell's `data-csv` (on it or an element inside it) is
 * the raw value behind a formatted one ("45.7%" → 0.4567), else its text.
 */
function tableCells(table: HTMLTableElement): string[][] {
  return cellGrid(
    Array.from(table.rows, (row) =>
      Array.from(row.cells, (cell) => {
        const raw = cell.hasAttribute('data-csv') ? cell : cell.querySelector('[data-csv]');
        const value = raw?.getAttribute('data-csv') ?? cell.textContent?.trim() ?? '';
        return { value, rowSpan: cell.rowSpan, colSpan: cell.colSpan };
      }),
    ),
  );
}

/**
 * What an empty project needs: the snippet to embed and a first touchpoint to send, with the project's
 * public write key (a placeholder until it has loaded, or if it cannot be read).
 */
export function EmptyProject({ heading }: { heading: string }) {
  const { projectId } = useSession();
  const project = useRoute<typeof getProject>('/v1/projects/:projectId', new URLSearchParams());
  const writeKey = project.data?.writeKey ?? 'WRITE_KEY';
  const collector = `${window.location.protocol}//${window.location.hostname}:8080`;
  return (
    <section className="empty">
      <h2>{heading}</h2>
      <p>
        Embed the snippet in your site; it carries the project's public write key (the collector listens on
        port 8080 by default):
      </p>
      <pre>
        <code>{`<script src="${collector}/sdk/waymark.js" data-write-key="${writeKey}" async></script>`}</code>
      </pre>
      <p>or send a first touchpoint with curl:</p>
      <pre>
        <code>{`curl -u ${writeKey}: ${collector}/v1/track -H 'content-type: application/json' \\
  -d '{"event":"Product Viewed","anonymousId":"visitor-1"}'`}</code>
      </pre>
      <p>
        Project <code>{projectId}</code>; then widen the date range if the touchpoints are older.
      </p>
    </section>
  );
}

/** The entry range every cohort screen starts with: dates, `to` exclusive as the API reads it. */
export function RangeFields({
  from,
  to,
  onChange,
}: {
  from: string;
  to: string;
  onChange: (name: 'from' | 'to', value: string) => void;
}) {
  return (
    <>
      <label>
        From
        <input type="date" name="from" value={from} onChange={(e) => onChange('from', e.target.value)} />
      </label>
      <label>
        To (exclusive)
        <input type="date" name="to" value={to} onChange={(e) => onChange('to', e.target.value)} />
      </label>
    </>
  );
}

/**
 * A stage funnel's stage range (decision 0034). The first and the last stage stand for the API's default, so
 * only a narrowed range is in the URL; a range the API refuses (from after to) shows its problem.
 */
export function StageRangeFields({
  fromStage,
  toStage,
  onChange,
}: {
  fromStage: string;
  toStage: string;
  onChange: (range: { fromStage: string; toStage: string }) => void;
}) {
  const field = (name: 'fromStage' | 'toStage', label: string, current: string, edge: string) => (
    <label>
      {label}
      <select
        name={name}
        value={current || edge}
        onChange={(e) =>
          onChange({ fromStage, toStage, [name]: e.target.value === edge ? '' : e.target.value })
        }
      >
        <SelectOptions values={STAGE_NAMES} current={current || edge} />
      </select>
    </label>
  );
  return (
    <>
      {field('fromStage', 'From stage', fromStage, STAGE_NAMES[0])}
      {field('toStage', 'To stage', toStage, STAGE_NAMES[6])}
    </>
  );
}

type Counting = Record<'window' | 'mode' | 'fromStage' | 'toStage', string>;

/** How every stage funnel screen counts: the window, the mode and the stage range, one URL parameter each. */
export function CountingFields({
  counting,
  onChange,
}: {
  counting: Counting;
  onChange: (patch: Partial<Counting>) => void;
}) {
  return (
    <>
      <label>
        Window
        <input
          name="window"
          value={counting.window}
          size={6}
          onChange={(e) => onChange({ window: e.target.value })}
        />
      </label>
      <label>
        Mode
        <select name="mode" value={counting.mode} onChange={(e) => onChange({ mode: e.target.value })}>
          <SelectOptions values={MODES} current={counting.mode} />
        </select>
      </label>
      <StageRangeFields fromStage={counting.fromStage} toStage={counting.toStage} onChange={onChange} />
    </>
  );
}

/**
 * A select's options: the known values (by value, or value → text), and the URL's value when it is none of
 * them, so the select shows what is asked and the API's problem for it.
 */
export function SelectOptions({
  values,
  current,
}: {
  values: readonly string[] | Readonly<Record<string, string>>;
  current: string;
}) {
  const known: Array<[string, string]> = Array.isArray(values)
    ? values.map((v) => [v, v])
    : Object.entries(values);
  const all = known.some(([value]) => value === current) ? known : [...known, [current, current]];
  return all.map(([value, text]) => (
    <option key={value} value={value}>
      {text}
    </option>
  ));
}
