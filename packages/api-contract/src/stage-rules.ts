import { StageRuleset } from '@waymark/journey';
import { z } from 'zod';
import { documentField } from './openapi.ts';
import { ProjectParams } from './request-fields.ts';
import { defineRoute } from './route-contract.ts';

/** A project's stage ruleset and its dry run (docs/decisions/0009-per-project-rulesets.md). */

export const CurrentRuleset = z.object({
  version: z.int().min(1),
  /** `default` until the project stores its own. */
  source: z.enum(['default', 'project']),
  ruleset: StageRuleset,
});

export const DryRunBody = z.object({
  /** Checked as `PUT …/stage-rules` checks it, with its errors under `ruleset.`. */
  ruleset: documentField(StageRuleset, 'A ruleset, as `PUT …/stage-rules` takes it'),
  limit: z.number().int().min(1).max(10_000).default(1000),
});

const StageCounts = z.record(z.string(), z.int());

export const DryRunAnswer = z.object({
  touchpoints: z.int(),
  changed: z.int(),
  current: StageCounts,
  proposed: StageCounts,
  examples: z.array(
    z.object({
      messageId: z.string(),
      type: z.string(),
      event: z.string().nullable(),
      pagePath: z.string().nullable(),
      from: z.string().nullable(),
      to: z.string().nullable(),
    }),
  ),
});

export const getStageRules = defineRoute({
  method: 'get',
  path: '/v1/projects/:projectId/stage-rules',
  operationId: 'getStageRules',
  summary: "The project's current stage ruleset (the default one, version 1, until it saves its own)",
  params: ProjectParams,
  response: {
    status: 200,
    description: '`{ version, source: "default" | "project", ruleset }`',
    schema: CurrentRuleset,
  },
  errors: [401, 403],
});

export const putStageRules = defineRoute({
  method: 'put',
  path: '/v1/projects/:projectId/stage-rules',
  operationId: 'putStageRules',
  summary: 'Save a new ruleset version; it stages touchpoints processed from the next processor refresh on',
  description:
    'The body is a ruleset `{ version, rules: [{ stage, match, description? }], complaintRules? }` (see schemas/stage-rules.default.json). ' +
    '`version` must be the current version + 1, otherwise 409 VERSION_CONFLICT. Invalid rulesets answer 400 with `errors[].field` like `rules[3].match.pagePath[0]`. ' +
    'Touchpoints already stored keep the stage and ruleset version they were given.',
  params: ProjectParams,
  body: StageRuleset,
  bodyCheckedBy: 'handler',
  response: { status: 200, description: 'Saved', schema: CurrentRuleset },
  errors: [400, 401, 403, 409],
});

export const dryRunStageRules = defineRoute({
  method: 'post',
  path: '/v1/projects/:projectId/stage-rules/dry-run',
  operationId: 'dryRunStageRules',
  summary: "How the project's last N touchpoints would be staged by a proposed ruleset",
  params: ProjectParams,
  body: DryRunBody,
  response: {
    status: 200,
    description: 'Counts per stage now and under the proposal, how many would change, and up to 20 examples',
    schema: DryRunAnswer,
  },
  errors: [400, 401, 403],
});
