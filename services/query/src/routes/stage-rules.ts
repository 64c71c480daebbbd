import { json, problem, projectIdParameter } from '../openapi-schemas.ts';
import { currentRuleset, dryRunRuleset, putRuleset } from '../stage-rules.ts';
import type { ApiRoutes } from './route.ts';

const rulesetAnswer = {
  type: 'object',
  required: ['version', 'source', 'ruleset'],
  properties: {
    version: { type: 'integer', minimum: 1 },
    source: { type: 'string', enum: ['default', 'project'] },
    ruleset: { type: 'object' },
  },
};

export const stageRuleRoutes: ApiRoutes = {
  register(app, { clickhouse, authorize }) {
    app.get('/v1/projects/:projectId/stage-rules', async (request) =>
      currentRuleset(clickhouse, await authorize(request)),
    );
    app.put('/v1/projects/:projectId/stage-rules', async (request) =>
      putRuleset(clickhouse, await authorize(request), request.body),
    );
    app.post('/v1/projects/:projectId/stage-rules/dry-run', async (request) =>
      dryRunRuleset(clickhouse, await authorize(request), request.body),
    );
  },
  paths: {
    '/v1/projects/{projectId}/stage-rules': {
      get: {
        operationId: 'getStageRules',
        summary: "The project's current stage ruleset (the default one, version 1, until it saves its own)",
        parameters: [projectIdParameter],
        responses: {
          200: {
            description: '`{ version, source: "default" | "project", ruleset }`',
            content: json(rulesetAnswer),
          },
          401: problem,
          403: problem,
        },
      },
      put: {
        operationId: 'putStageRules',
        summary:
          'Save a new ruleset version; it stages touchpoints processed from the next processor refresh on',
        description:
          'The body is a ruleset `{ version, rules: [{ stage, match, description? }], complaintRules? }` (see schemas/stage-rules.default.json). ' +
          '`version` must be the current version + 1, otherwise 409 VERSION_CONFLICT. Invalid rulesets answer 400 with `errors[].field` like `rules[3].match.pagePath[0]`. ' +
          'Touchpoints already stored keep the stage and ruleset version they were given.',
        parameters: [projectIdParameter],
        requestBody: { required: true, content: json({ type: 'object', required: ['version', 'rules'] }) },
        responses: {
          200: { description: 'Saved', content: json(rulesetAnswer) },
          400: problem,
          401: problem,
          403: problem,
          409: problem,
        },
      },
    },
    '/v1/projects/{projectId}/stage-rules/dry-run': {
      post: {
        operationId: 'dryRunStageRules',
        summary: "How the project's last N touchpoints would be staged by a proposed ruleset",
        parameters: [projectIdParameter],
        requestBody: {
          required: true,
          content: json({
            type: 'object',
            required: ['ruleset'],
            properties: {
              ruleset: { type: 'object' },
              limit: { type: 'integer', minimum: 1, maximum: 10000, default: 1000 },
            },
          }),
        },
        responses: {
          200: {
            description:
              'Counts per stage now and under the proposal, how many would change, and up to 20 examples',
            content: json({
              type: 'object',
              properties: {
                touchpoints: { type: 'integer' },
                changed: { type: 'integer' },
                current: { type: 'object', additionalProperties: { type: 'integer' } },
                proposed: { type: 'object', additionalProperties: { type: 'integer' } },
                examples: { type: 'array', items: { type: 'object' } },
              },
            }),
          },
          400: problem,
          401: problem,
          403: problem,
        },
      },
    },
  },
};
