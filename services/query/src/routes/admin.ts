import type { ClickHouseClient } from '@clickhouse/client';
import {
  createAdminProject,
  listAdminProjects,
  revokeProjectKey,
  rotateProjectKey,
  updateAdminProject,
} from '@waymark/api-contract';
import {
  getProject,
  hashApiKey,
  listProjects,
  newApiKey,
  newWriteKey,
  type Project,
  rotateProjectKey as rotatedKey,
  upsertProject,
} from '@waymark/clickhouse';
import { queryProblem } from '../problems.ts';
import { route } from './route.ts';

const iso = (ms: number) => new Date(ms).toISOString();

/** A project as the admin API answers it: never a key hash. */
function adminProject(project: Project, now = Date.now()) {
  const graceEnd = (previous: Project['previousWriteKey']) =>
    previous && previous.expiresAt > now ? iso(previous.expiresAt) : undefined;
  const writeEnd = graceEnd(project.previousWriteKey);
  const apiEnd = graceEnd(project.previousApiKeyHash);
  return {
    projectId: project.projectId,
    name: project.name,
    writeKey: project.writeKey,
    allowedOrigins: [...project.allowedOrigins],
    createdAt: iso(project.createdAt),
    updatedAt: iso(project.updatedAt),
    ...(writeEnd && { previousWriteKeyExpiresAt: writeEnd }),
    ...(apiEnd && { previousApiKeyExpiresAt: apiEnd }),
  };
}

async function existing(clickhouse: ClickHouseClient, projectId: string): Promise<Project> {
  const project = await getProject(clickhouse, projectId);
  if (!project) throw queryProblem('NOT_FOUND', `no project ${projectId}`);
  return project;
}

/*
 * Every change is one full-row insert into `projects` (ReplacingMergeTree, newest `updated_at` wins), then a
 * re-read of this service's directory so the keys it checks change at once. Two admins editing the same
 * project at the same instant: the later write wins whole (an instance has one operator; decision 0030).
 */
export const adminRoutes = [
  route(listAdminProjects, async (_request, { clickhouse }) => {
    const now = Date.now();
    return { projects: (await listProjects(clickhouse)).map((p) => adminProject(p, now)) };
  }),
  route(createAdminProject, async ({ body }, { clickhouse, projectsChanged }) => {
    if (await getProject(clickhouse, body.projectId)) {
      throw queryProblem('PROJECT_EXISTS', `project "${body.projectId}" already exists`);
    }
    const keys = { writeKey: newWriteKey(), apiKey: newApiKey() };
    const project = await upsertProject(clickhouse, {
      projectId: body.projectId,
      name: body.name ?? body.projectId,
      writeKey: keys.writeKey,
      apiKeyHash: hashApiKey(keys.apiKey),
      allowedOrigins: body.allowedOrigins,
    });
    await projectsChanged();
    return { project: adminProject(project), ...keys };
  }),
  route(updateAdminProject, async ({ params, body }, { clickhouse, projectsChanged }) => {
    const project = await existing(clickhouse, params.projectId);
    const updated = await upsertProject(clickhouse, {
      ...project,
      name: body.name ?? project.name,
      allowedOrigins: body.allowedOrigins ?? project.allowedOrigins,
    });
    await projectsChanged();
    return adminProject(updated);
  }),
  route(rotateProjectKey, async ({ params, body }, { clickhouse, projectsChanged }) => {
    const now = Date.now();
    const rotated = rotatedKey(
      await existing(clickhouse, params.projectId),
      params.kind,
      body.graceSeconds * 1000,
      now,
    );
    await upsertProject(clickhouse, rotated.project, new Date(now));
    await projectsChanged();
    return {
      kind: params.kind,
      key: rotated.key,
      ...(body.graceSeconds > 0 && { previousKeyExpiresAt: iso(now + body.graceSeconds * 1000) }),
    };
  }),
  route(revokeProjectKey, async ({ params }, { clickhouse, projectsChanged }) => {
    // A rotation without grace: the current key and any previous one stop together.
    const rotated = rotatedKey(await existing(clickhouse, params.projectId), params.kind, 0, Date.now());
    await upsertProject(clickhouse, rotated.project);
    await projectsChanged();
    return { kind: params.kind, key: rotated.key };
  }),
];
