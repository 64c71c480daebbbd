import { getProject } from '@waymark/api-contract';
import { getProject as readProject } from '@waymark/clickhouse';
import { queryProblem } from '../problems.ts';
import { route } from './route.ts';

export const projectRoutes = [
  route(getProject, async ({ projectId }, { clickhouse }) => {
    const project = await readProject(clickhouse, projectId);
    // The key was checked against the project directory, which may know a project the store just lost.
    if (!project) throw queryProblem('NOT_FOUND', `no project ${projectId}`);
    return {
      projectId: project.projectId,
      name: project.name,
      writeKey: project.writeKey,
      allowedOrigins: [...project.allowedOrigins],
      createdAt: new Date(project.createdAt).toISOString(),
      updatedAt: new Date(project.updatedAt).toISOString(),
    };
  }),
];
