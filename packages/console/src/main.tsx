import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { Journey } from './Journey.tsx';
import { SignIn } from './SignIn.tsx';
import { clearSession, loadSession, type Session } from './session.ts';
import './styles.css';

const queryClient = new QueryClient({
  defaultOptions: { queries: { retry: false, refetchOnWindowFocus: false } },
});

function App() {
  const [session, setSession] = useState<Session | undefined>(loadSession);
  if (!session) return <SignIn onSignIn={setSession} />;
  const signOut = () => {
    clearSession();
    queryClient.clear();
    setSession(undefined);
  };
  return (
    <>
      <header className="top">
        <span className="brand">Waymark</span>
        <span>
          Project <code>{session.projectId}</code>
        </span>
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </header>
      <Journey session={session} />
    </>
  );
}

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <QueryClientProvider client={queryClient}>
        <App />
      </QueryClientProvider>
    </StrictMode>,
  );
}
