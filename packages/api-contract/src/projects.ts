import { z } from 'zod';
import { DateTime, ProjectParams } from './request-fields.ts';
import { defineRoute } from './route-contract.ts';

export const ProjectAnswer = z.object({
  projectId: z.string(),
  name: z.string(),
  writeKey: z.string().meta({
    description:
      'Public: what the snippet and server libraries send to ingest into this project (and nothing else)',
  }),
  allowedOrigins: z
    .array(z.string())
    .meta({ description: 'Origins the collector accepts browser touchpoints from (CORS); `*` for any' }),
  createdAt: DateTime,
  updatedAt: DateTime,
});

export const getProject = defineRoute({
  method: 'get',
  path: '/v1/projects/:projectId',
  operationId: 'getProject',
  summary: 'The project: its name, public write key and allowed origins (what embedding the snippet needs)',
  description: 'The API key is never answered: it is stored hashed.',
  params: ProjectParams,
  response: { status: 200, description: 'The project', schema: ProjectAnswer },
  errors: [401, 403, 404],
});
