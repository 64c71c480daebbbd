import { DEFAULT_STAGE_RULESET } from '@waymark/journey';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createTestProject,
  eventually,
  postBatch,
  queryApi,
  type TestProject,
  usePipeline,
} from './support/pipeline.ts';

const stack = usePipeline({ PROCESSOR_RULESET_REFRESH: '200ms' });
let project: TestProject;

beforeAll(async () => {
  project = await createTestProject(stack.clickhouse);
});

const api = (method: string, path: string, body?: unknown, apiKey = project.apiKey) =>
  queryApi(stack.queryUrl, project, method, path, { body, apiKey });

async function stagesOf(projectId: string) {
  const result = await stack.clickhouse.query({
    query: `SELECT message_id, stage, ruleset_version FROM touchpoints FINAL
      WHERE project_id = {projectId:String} ORDER BY message_id`,
    query_params: { projectId },
    format: 'JSONEachRow',
  });
  return (await result.json<{ message_id: string; stage: number; ruleset_version: number }>()).map((r) => [
    r.message_id,
    Number(r.stage),
    Number(r.ruleset_version),
  ]);
}

// A B2B site: "Quote Requested" is its evaluation step, which the default ruleset does not know.
const custom = {
  ...DEFAULT_STAGE_RULESET,
  version: 2,
  rules: [
    { stage: 'evaluation', match: { type: 'track', event: 'Quote Requested' } },
    ...DEFAULT_STAGE_RULESET.rules,
  ],
};

describe('per-project stage rulesets', () => {
  it('starts from the default ruleset', async () => {
    const r = await api('GET', '/stage-rules');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ version: 1, source: 'default' });
  });

  it('refuses an invalid ruleset, pointing at the rule and field', async () => {
    const invalid = {
      version: 2,
      rules: [
        { stage: 'evaluation', match: { pagePath: 'pricing' } },
        { stage: 9, match: { event: 'X' } },
      ],
    };
    const r = await api('PUT', '/stage-rules', invalid);
    expect(r.status).toBe(400);
    const fields = (r.body.errors as Array<{ field: string }>).map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['rules[0].match.pagePath[0]', 'rules[1].stage']));
    expect((await api('PUT', '/stage-rules', '{"version": 2, "rules": [')).status).toBe(400);
  });

  it('refuses a stale version with 409', async () => {
    const r = await api('PUT', '/stage-rules', { ...custom, version: 5 });
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ code: 'VERSION_CONFLICT', currentVersion: 1 });
  });

  it('dry-runs a proposal over recent touchpoints, then stages only new touchpoints with the new version', async () => {
    const before = await postBatch(stack.collectorUrl, project.writeKey, {
      batch: [
        { type: 'track', event: 'Quote Requested', anonymousId: 'b2b', messageId: 'q-before' },
        { type: 'track', event: 'Product Viewed', anonymousId: 'b2b', messageId: 'v-before' },
      ],
    });
    expect(before.status).toBe(200);
    await eventually(async () =>
      expect(await stagesOf(project.projectId)).toEqual([
        ['q-before', 0, 1],
        ['v-before', 2, 1],
      ]),
    );

    const dry = await api('POST', '/stage-rules/dry-run', { ruleset: custom, limit: 100 });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ touchpoints: 2, changed: 1 });
    expect(dry.body.examples).toEqual([
      expect.objectContaining({ messageId: 'q-before', from: null, to: 'evaluation' }),
    ]);

    const saved = await api('PUT', '/stage-rules', custom);
    expect(saved.status).toBe(200);
    expect((await api('GET', '/stage-rules')).body).toMatchObject({ version: 2, source: 'project' });

    // The processor picks the new version up within its refresh interval (200 ms here), without a restart.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const after = await postBatch(stack.collectorUrl, project.writeKey, {
      batch: [{ type: 'track', event: 'Quote Requested', anonymousId: 'b2b', messageId: 'q-after' }],
    });
    expect(after.status).toBe(200);
    await eventually(async () =>
      expect(await stagesOf(project.projectId)).toEqual([
        ['q-after', 3, 2],
        ['q-before', 0, 1],
        ['v-before', 2, 1],
      ]),
    );
  });

  it('keeps rulesets to their project', async () => {
    const other = await createTestProject(stack.clickhouse, 'other');
    const r = await api('PUT', '/stage-rules', { ...custom, version: 3 }, other.apiKey);
    expect(r.status).toBe(403);
  });
});
