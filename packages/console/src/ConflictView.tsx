import { TableScroll } from './ui.tsx';

/** One line of a document as the other save has it and as the editor has it. */
export interface ConflictRow {
  readonly label: string;
  readonly theirs: string;
  readonly mine: string;
}

/**
 * A save refused because someone saved another version first: what differs between theirs and the draft,
 * and the two ways on, each a conscious choice (nothing is overwritten unless asked).
 */
export function ConflictView({
  what,
  theirVersion,
  rows,
  onLoadTheirs,
  onOverwrite,
}: {
  what: string;
  theirVersion: number;
  rows: readonly ConflictRow[];
  onLoadTheirs: () => void;
  onOverwrite: () => void;
}) {
  const differing = rows.filter((row) => row.theirs !== row.mine);
  return (
    <section role="alert" className="problem conflict">
      <h3>Someone else saved the {what} first</h3>
      <p>
        Version {theirVersion} was saved since you started editing; your changes are not saved.{' '}
        {differing.length === 0 ? 'It is the same as yours.' : 'Where it differs from yours:'}
      </p>
      {differing.length > 0 && (
        <TableScroll label={`Their ${what} and yours`}>
          <table className="figures conflict-figures">
            <thead>
              <tr>
                <th scope="col">Where</th>
                <th scope="col">Theirs (version {theirVersion})</th>
                <th scope="col">Yours</th>
              </tr>
            </thead>
            <tbody>
              {differing.map((row) => (
                <tr key={row.label}>
                  <th scope="row">{row.label}</th>
                  <td>
                    <code>{row.theirs || '—'}</code>
                  </td>
                  <td>
                    <code>{row.mine || '—'}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      <div className="actions">
        <button type="button" onClick={onLoadTheirs}>
          Discard mine, load theirs
        </button>
        <button type="button" onClick={onOverwrite}>
          Save mine over theirs
        </button>
      </div>
    </section>
  );
}
