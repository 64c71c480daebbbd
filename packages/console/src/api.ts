import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Problem, RouteContract, RouteRequest, RouteResponse } from '@waymark/api-contract';
import { type Session, useSession } from './session.ts';

/**
 * The API client. Types come from the route contracts the server validates with (@waymark/api-contract,
 * imported as types only so none of the schemas end up in the bundle); the path is checked against the
 * contract's, so a renamed route fails the typecheck.
 */
/** One invalid field of a request, as INVALID_REQUEST lists them (`steps.1.event`). */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

export class ApiProblem extends Error {
  constructor(
    readonly problem: Pick<Problem, 'title' | 'status'> & {
      detail?: string | undefined;
      /** Kept so a form can show each message by its field. */
      errors?: readonly FieldError[];
    },
  ) {
    super(problem.title);
  }
}

type Params<C extends RouteContract> = RouteRequest<C>['params'] & Record<string, string>;

/** Who calls: a signed-in session (its API key), or a viewer of a share link (its token, /v1/shared only). */
type Credential = Session | { readonly shareToken: string };

/** One call of a route: its path parameters filled in, the query string and the JSON body if any. */
export async function callRoute<C extends RouteContract>(
  credential: Credential,
  contract: Pick<C, 'method' | 'path'>,
  params: Params<C>,
  request: { query?: URLSearchParams; body?: RouteRequest<C>['body'] } = {},
  signal?: AbortSignal,
): Promise<RouteResponse<C>> {
  const url = contract.path.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(params[name] ?? ''));
  const query = request.query?.toString() ?? '';
  const response = await fetch(query ? `${url}?${query}` : url, {
    method: contract.method.toUpperCase(),
    headers: {
      authorization:
        'shareToken' in credential ? `Share ${credential.shareToken}` : `Bearer ${credential.apiKey}`,
      accept: 'application/json',
      ...(request.body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(request.body !== undefined && { body: JSON.stringify(request.body) }),
    ...(signal && { signal }),
  });
  const text = await response.text();
  if (!response.ok) throw new ApiProblem(problemOf(response, text));
  return (text ? JSON.parse(text) : undefined) as RouteResponse<C>;
}

/** The answer's problem details, or a problem made from the status when the body is not one. */
function problemOf(response: Response, text: string): ConstructorParameters<typeof ApiProblem>[0] {
  try {
    const body: unknown = JSON.parse(text);
    if (typeof body === 'object' && body !== null && 'title' in body && typeof body.title === 'string') {
      const detail = 'detail' in body && typeof body.detail === 'string' ? body.detail : undefined;
      const errors =
        'errors' in body && Array.isArray(body.errors)
          ? (body.errors as Array<{ field?: unknown; message?: unknown }>).map((e) => ({
              field: String(e.field ?? ''),
              message: String(e.message),
            }))
          : undefined;
      return {
        title: body.title,
        status: response.status,
        // The detail already names the invalid fields; the list is the fallback when there is none.
        detail: detail ?? errors?.map((e) => `${e.field}: ${e.message}`).join('; '),
        ...(errors && { errors }),
      };
    }
  } catch {
    // Not JSON: a proxy's page, say.
  }
  return {
    title: `HTTP ${response.status} ${response.statusText}`,
    status: response.status,
    detail: text.slice(0, 200),
  };
}

/** The signed-in project's path parameters: `params` besides the project. */
function withProject<C extends RouteContract>(
  session: Session,
  params: Omit<Params<C>, 'projectId'>,
): Params<C> {
  return { ...params, projectId: session.projectId } as unknown as Params<C>;
}

/**
 * A GET route's answer for the signed-in project, cached by TanStack Query under the route and its
 * request. `params` is the path's parameters besides the project.
 */
export function useRoute<C extends RouteContract>(
  path: C['path'],
  query: URLSearchParams,
  params: Omit<Params<C>, 'projectId'> = {} as Omit<Params<C>, 'projectId'>,
  options: { enabled?: boolean; refetchInterval?: number } = {},
) {
  const session = useSession();
  const all = withProject<C>(session, params);
  return useQuery({
    queryKey: [path, session.projectId, all, query.toString()],
    queryFn: ({ signal }) => callRoute<C>(session, { method: 'get', path }, all, { query }, signal),
    ...options,
  });
}

/**
 * The answer of a POST route that only reads (a custom funnel, an experiment, a backtest), cached like a
 * GET under its body: the same question asked twice is asked once.
 */
export function usePostedRoute<C extends RouteContract>(
  path: C['path'],
  body: RouteRequest<C>['body'],
  params: Omit<Params<C>, 'projectId'> = {} as Omit<Params<C>, 'projectId'>,
  options: { enabled?: boolean } = {},
) {
  const session = useSession();
  const all = withProject<C>(session, params);
  return useQuery({
    queryKey: [path, session.projectId, all, JSON.stringify(body)],
    queryFn: ({ signal }) => callRoute<C>(session, { method: 'post', path }, all, { body }, signal),
    ...options,
  });
}

/**
 * A route that changes something (save a ruleset, create a rule, delete a dashboard). On success every
 * cached answer of the project is refetched, so no screen shows what was true before the change.
 */
export function useChangeRoute<C extends RouteContract>(contract: Pick<C, 'method' | 'path'>) {
  const session = useSession();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (request: {
      params?: Omit<Params<C>, 'projectId'>;
      query?: URLSearchParams;
      body?: RouteRequest<C>['body'];
    }) =>
      callRoute<C>(
        session,
        contract,
        withProject<C>(session, request.params ?? ({} as Omit<Params<C>, 'projectId'>)),
        request,
      ),
    onSuccess: () =>
      queryClient.invalidateQueries({ predicate: (query) => query.queryKey[1] === session.projectId }),
  });
}

/** A GET route of a share link (/v1/shared/…), read with the link's token: the shared page has no session. */
export function useSharedRoute<C extends RouteContract>(
  shareToken: string,
  path: C['path'],
  params: Params<C>,
) {
  return useQuery({
    queryKey: [path, 'shared', shareToken, params],
    queryFn: ({ signal }) => callRoute<C>({ shareToken }, { method: 'get', path }, params, {}, signal),
  });
}

/**
 * Trades the one-time token of a sign-in link (`/#sign-in=<token>`, printed by `waymark start`) for the
 * project and its API key; the query service forgets the token as it answers.
 */
export async function redeemSignInLink(token: string): Promise<Session> {
  const response = await fetch('/console/sign-in', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ token }),
  });
  const text = await response.text();
  if (!response.ok) throw new ApiProblem(problemOf(response, text));
  const { projectId, apiKey } = JSON.parse(text) as Session;
  return { projectId, apiKey };
}
