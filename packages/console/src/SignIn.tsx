import { type FormEvent, useState } from 'react';
import { type Session, saveSession } from './session.ts';
import { ProblemView } from './ui.tsx';

/**
 * No endpoint tells the project of an API key, so the form asks for both. The key is only kept in
 * sessionStorage; the form posts nowhere (no action), so it never lands in a URL or a server log.
 */
export function SignIn({
  onSignIn,
  problem,
}: {
  onSignIn: (session: Session) => void;
  problem?: Error | undefined;
}) {
  const [projectId, setProjectId] = useState('');
  const [apiKey, setApiKey] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const session = { projectId: projectId.trim(), apiKey: apiKey.trim() };
    saveSession(session);
    onSignIn(session);
  };
  return (
    <main className="sign-in">
      <h1>Sign in to Waymark</h1>
      <p>
        Use the project's API key (<code>waymark start</code> prints it). It stays in this tab only.
      </p>
      {problem && <ProblemView error={problem} />}
      <form onSubmit={submit}>
        <label>
          Project id
          <input
            name="projectId"
            required
            autoComplete="username"
            value={projectId}
            onChange={(e) => setProjectId(e.target.value)}
          />
        </label>
        <label>
          API key
          <input
            name="apiKey"
            type="password"
            required
            autoComplete="current-password"
            value={apiKey}
            onChange={(e) => setApiKey(e.target.value)}
          />
        </label>
        <button type="submit">Sign in</button>
      </form>
    </main>
  );
}
