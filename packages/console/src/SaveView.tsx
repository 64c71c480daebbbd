import type { createView, TilePath } from '@waymark/api-contract';
import { type FormEvent, useState } from 'react';
import { useChangeRoute } from './api.ts';
import { Link, useLocation } from './router.tsx';
import { ProblemView } from './ui.tsx';

/**
 * The app shell's "Save view": the current screen and its settings (path and query string) under a name,
 * for dashboards. The API says which screens can be tiles, so a screen that cannot shows its answer.
 */
export function SaveView() {
  const location = useLocation();
  const save = useChangeRoute<typeof createView>({ method: 'post', path: '/v1/projects/:projectId/views' });
  const [name, setName] = useState('');
  // The form exists only while open, so a closed control is one focus stop, not fields Tab cannot reach.
  const [open, setOpen] = useState(false);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const search = location.search.toString();
    // Any screen's path: the API refuses one that cannot be a tile, naming `path`.
    save.mutate({ body: { name, path: location.path as TilePath, search: search ? `?${search}` : '' } });
  };
  return (
    <details className="save-view" onToggle={(event) => setOpen(event.currentTarget.open)}>
      <summary>Save view</summary>
      {open && (
        <form onSubmit={submit}>
          <label>
            Name <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} />
          </label>
          <button type="submit" disabled={save.isPending}>
            Save
          </button>
          {save.isSuccess && (
            <p role="status">
              Saved “{save.data.name}”. <Link href="/dashboards">Add it to a dashboard</Link>
            </p>
          )}
          {save.error && <ProblemView error={save.error} />}
        </form>
      )}
    </details>
  );
}
