import { z } from 'zod';
import { ProjectAnswer } from './projects.ts';
import { DateTime, ProjectParams } from './request-fields.ts';
import { defineRoute } from './route-contract.ts';

/*
 * The admin API (docs/decisions/0030-admin-api-and-key-rotation.md): projects and their keys, for the
 * operator of the instance. Authenticated with the admin token, never with a project's keys.
 */

/** The longest grace period a rotation may give the replaced key: long enough to redeploy every site. */
export const MAX_GRACE_SECONDS = 30 * 86_400;

const CONTROL = /\p{Cc}/u;

const ProjectName = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .refine((s) => !CONTROL.test(s), 'expected no control characters')
  .meta({ description: 'Shown in the console' });

const AllowedOrigin = z
  .string()
  .max(300)
  .regex(/^(\*|https?:\/\/[^/\s?#]+)$/, 'expected "*" or a scheme and host like https://shop.example');

const AllowedOrigins = z.array(AllowedOrigin).max(100).meta({
  description:
    'Origins the collector accepts browser touchpoints from (CORS); `*` for any, none for servers only',
});

const ProjectKeyKind = z
  .enum(['write-key', 'api-key'])
  .meta({ description: 'The public write key (ingestion) or the secret API key (reading)' });

export const ProjectKeyParams = ProjectParams.extend({ kind: ProjectKeyKind });

export const AdminProjectAnswer = ProjectAnswer.extend({
  previousWriteKeyExpiresAt: DateTime.optional().meta({
    description: 'Until when the write key replaced by the last rotation is still accepted',
  }),
  previousApiKeyExpiresAt: DateTime.optional().meta({
    description: 'Until when the API key replaced by the last rotation is still accepted',
  }),
});

const NewKeys = {
  writeKey: z.string(),
  apiKey: z.string().meta({ description: 'Secret: shown this once, stored hashed' }),
};

export const listAdminProjects = defineRoute({
  method: 'get',
  path: '/v1/admin/projects',
  operationId: 'listAdminProjects',
  summary: 'Every project of this instance, with its write key (never its API key)',
  auth: 'admin',
  params: z.object({}),
  response: {
    status: 200,
    description: 'The projects, by id',
    schema: z.object({ projects: z.array(AdminProjectAnswer) }),
  },
  errors: [401],
});

export const createAdminProject = defineRoute({
  method: 'post',
  path: '/v1/admin/projects',
  operationId: 'createAdminProject',
  summary: 'Creates a project with fresh keys; the API key is answered this once',
  description:
    'The collector accepts the new write key at once (an unknown key makes it re-read the projects), the query service the new API key too.',
  auth: 'admin',
  params: z.object({}),
  body: z.strictObject({
    projectId: ProjectParams.shape.projectId,
    name: ProjectName.optional(),
    allowedOrigins: AllowedOrigins.default([]),
  }),
  response: {
    status: 201,
    description: 'The project and its keys',
    schema: z.object({ project: AdminProjectAnswer, ...NewKeys }),
  },
  errors: [400, 401, 409],
});

export const updateAdminProject = defineRoute({
  method: 'patch',
  path: '/v1/admin/projects/:projectId',
  operationId: 'updateAdminProject',
  summary: "Changes a project's name or allowed origins (fields left out keep their value)",
  description: 'The collector applies new origins within COLLECTOR_WRITE_KEY_REFRESH (10 s by default).',
  auth: 'admin',
  params: ProjectParams,
  body: z
    .strictObject({ name: ProjectName.optional(), allowedOrigins: AllowedOrigins.optional() })
    .refine((b) => b.name !== undefined || b.allowedOrigins !== undefined, 'expected name or allowedOrigins'),
  response: { status: 200, description: 'The project as changed', schema: AdminProjectAnswer },
  errors: [400, 401, 404],
});

export const rotateProjectKey = defineRoute({
  method: 'post',
  path: '/v1/admin/projects/:projectId/keys/:kind/rotate',
  operationId: 'rotateProjectKey',
  summary:
    'A new write key or API key; the replaced one keeps working for the grace period, then answers 401',
  description:
    'A project has one previous key per kind: rotating again ends the grace period of the key rotated out before.',
  auth: 'admin',
  params: ProjectKeyParams,
  body: z.strictObject({
    graceSeconds: z
      .int()
      .min(0)
      .max(MAX_GRACE_SECONDS)
      .default(86_400)
      .meta({ description: `How long the replaced key still works, 0 to ${MAX_GRACE_SECONDS} seconds` }),
  }),
  response: {
    status: 200,
    description: 'The new key, shown this once',
    schema: z.object({
      kind: ProjectKeyKind,
      key: z.string(),
      previousKeyExpiresAt: DateTime.optional().meta({ description: 'Absent when the grace was 0' }),
    }),
  },
  errors: [400, 401, 404],
});

export const revokeProjectKey = defineRoute({
  method: 'post',
  path: '/v1/admin/projects/:projectId/keys/:kind/revoke',
  operationId: 'revokeProjectKey',
  summary: 'Stops every key of that kind now (a leaked key) and answers the new one',
  description:
    'The query service refuses the old keys at once, the collector within COLLECTOR_WRITE_KEY_REFRESH (10 s by default).',
  auth: 'admin',
  params: ProjectKeyParams,
  response: {
    status: 200,
    description: 'The new key, shown this once',
    schema: z.object({ kind: ProjectKeyKind, key: z.string() }),
  },
  errors: [400, 401, 404],
});
