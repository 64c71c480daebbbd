import type { ReactNode } from 'react';

/**
 * A save refused because someone saved another version first: what differs between theirs and the draft
 * (`children`), and the two ways on, each a conscious choice (nothing is overwritten unless asked).
 */
export function ConflictView({
  what,
  theirVersion,
  same,
  onLoadTheirs,
  onOverwrite,
  children,
}: {
  what: string;
  theirVersion: number;
  /** Theirs is the same as the draft. */
  same: boolean;
  onLoadTheirs: () => void;
  onOverwrite: () => void;
  children: ReactNode;
}) {
  return (
    <section role="alert" className="problem conflict">
      <h3>Someone else saved the {what} first</h3>
      <p>
        Version {theirVersion} was saved since you started editing; your changes are not saved.{' '}
        {same ? 'It is the same as yours.' : 'Where it differs from yours:'}
      </p>
      {!same && children}
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
