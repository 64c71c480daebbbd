import { QueryClient, QueryClientProvider, useQuery } from '@tanstack/react-query';
import { lazy, StrictMode, Suspense, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { redeemSignInLink } from './api.ts';
import { Link, useLocation } from './router.tsx';
import { SaveView } from './SaveView.tsx';
import { SignIn } from './SignIn.tsx';
import { matchScreen, SCREENS } from './screens.tsx';
import { clearSession, loadSession, type Session, SessionContext, saveSession } from './session.ts';
import { Loading } from './ui.tsx';
import './styles.css';

// Loaded only by a share link's viewer: its tiles' charts stay out of the first screen's JavaScript.
const Shared = lazy(async () => ({ default: (await import('./Shared.tsx')).Shared }));

const queryClient = new QueryClient({
  defaultOptions: { queries: { retry: false, refetchOnWindowFocus: false } },
});

const SIGN_IN_LINK = '#sign-in=';

/** The token of a sign-in link in the address, taken out of it at once (so it is never bookmarked). */
function takeSignInToken(): string | undefined {
  if (!window.location.hash.startsWith(SIGN_IN_LINK)) return undefined;
  const token = window.location.hash.slice(SIGN_IN_LINK.length);
  window.history.replaceState(null, '', window.location.pathname + window.location.search);
  return token;
}

function App() {
  const [session, setSession] = useState<Session | undefined>(loadSession);
  const [linkToken] = useState(takeSignInToken);
  const link = useQuery({
    queryKey: ['sign-in-link', linkToken],
    queryFn: () => redeemSignInLink(linkToken as string),
    enabled: linkToken !== undefined,
    staleTime: Number.POSITIVE_INFINITY,
    gcTime: 0,
  });
  useEffect(() => {
    if (!link.data) return;
    saveSession(link.data);
    setSession(link.data);
  }, [link.data]);
  const location = useLocation();
  // A share link's page needs no session and shows nothing of one (Shared.tsx).
  if (location.path === '/shared') {
    return (
      <Suspense fallback={<Loading what="the shared dashboard" />}>
        <Shared />
      </Suspense>
    );
  }
  if (!session) {
    if (link.isPending && linkToken !== undefined) return <Loading what="your sign-in link" />;
    return <SignIn onSignIn={setSession} problem={link.error ?? undefined} />;
  }
  const signOut = () => {
    clearSession();
    queryClient.clear();
    setSession(undefined);
  };
  const match = matchScreen(location.path);
  return (
    <SessionContext value={session}>
      <header className="top">
        <span className="brand">Waymark</span>
        <nav aria-label="Screens">
          {SCREENS.filter((s) => s.nav).map((s) => (
            <Link key={s.path} href={s.path} aria-current={match?.screen === s ? 'page' : undefined}>
              {s.title}
            </Link>
          ))}
        </nav>
        <SaveView />
        <span className="project">
          Project <code>{session.projectId}</code>
        </span>
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </header>
      <Suspense fallback={<Loading what="the screen" />}>
        {match ? <match.screen.component params={match.params} /> : <NotFound path={location.path} />}
      </Suspense>
    </SessionContext>
  );
}

function NotFound({ path }: { path: string }) {
  return (
    <main>
      <section role="alert" className="problem">
        <h1>No such screen</h1>
        <p>
          The console has nothing at <code>{path}</code>. <Link href="/">Open the journey</Link>.
        </p>
      </section>
    </main>
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
