import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createTestProject,
  eventually,
  postBatch,
  queryApi,
  type TestProject,
  usePipeline,
} from './support/pipeline.ts';

// GET /live on the real stack: a valid event shows as a touchpoint with its stage and channel, an invalid one
// as a rejection with the collector's reason; another project sees neither; hostile `since` answers 400.
const stack = usePipeline();
let project: TestProject;
let other: TestProject;

interface Live {
  touchpoints: Array<Record<string, unknown> & { receivedAt: number }>;
  rejections: Array<Record<string, unknown> & { excerpt: string }>;
}

beforeAll(async () => {
  project = await createTestProject(stack.clickhouse, 'live');
  other = await createTestProject(stack.clickhouse, 'live-other');
});

const live = (who: TestProject, query = '') => queryApi<Live>(stack.queryUrl, who, 'GET', `/live${query}`);

describe('GET /v1/projects/:projectId/live', () => {
  it('lists a touchpoint with its stage and channel and a rejected event with its reason', async () => {
    const started = Date.now();
    const valid = randomUUID();
    const invalid = randomUUID();
    const answer = await postBatch(stack.collectorUrl, project.writeKey, {
      batch: [
        {
          type: 'track',
          event: 'Order Completed',
          messageId: valid,
          anonymousId: 'visitor-1',
          properties: { revenue: 42 },
          context: { campaign: { source: 'newsletter', medium: 'email' }, page: { path: '/checkout' } },
        },
        // A track without an event name: the schema refuses it (docs/collector-errors.md).
        { type: 'track', messageId: invalid, anonymousId: 'visitor-1', properties: { secret: 'x' } },
      ],
    });
    expect(answer.status).toBe(200);
    const reason = answer.body.rejected?.[0]?.errors.join('; ');
    expect(reason).toBeTruthy();

    const seen = await eventually(async () => {
      const { status, body } = await live(project);
      expect(status).toBe(200);
      expect(body.touchpoints).toHaveLength(1);
      expect(body.rejections).toHaveLength(1);
      return body;
    });
    expect(seen.touchpoints[0]).toMatchObject({
      messageId: valid,
      type: 'track',
      event: 'Order Completed',
      customerKey: 'a:visitor-1',
      stage: 5, // purchase in the default ruleset
      stageName: 'purchase',
      channel: 'email',
      page: '/checkout',
    });
    expect(seen.touchpoints[0]?.receivedAt).toBeGreaterThanOrEqual(started);
    expect(seen.rejections[0]).toMatchObject({
      source: 'collector',
      code: 'INVALID_EVENT',
      message: reason,
      type: 'track',
      event: null,
      messageId: invalid,
    });
    expect(JSON.parse(seen.rejections[0]?.excerpt ?? '')).toMatchObject({ messageId: invalid });

    // `since` after both: nothing; before both: both.
    const later = new Date(Date.now() + 60_000).toISOString();
    expect((await live(project, `?since=${later}`)).body).toEqual({ touchpoints: [], rejections: [] });
    const earlier = new Date(started - 1000).toISOString();
    const since = (await live(project, `?since=${earlier}`)).body;
    expect([since.touchpoints.length, since.rejections.length]).toEqual([1, 1]);

    // Another project sees nothing of this one.
    expect((await live(other)).body).toEqual({ touchpoints: [], rejections: [] });
  });

  it('keeps at most 20 rejections per project per second and cuts excerpts to 1 KB', async () => {
    const flood = await createTestProject(stack.clickhouse, 'live-flood');
    const batch = Array.from({ length: 50 }, (_, i) => ({
      type: 'track',
      messageId: `bad-${i}`,
      anonymousId: 'x',
      properties: { padding: 'p'.repeat(5000) },
    }));
    const answer = await postBatch(stack.collectorUrl, flood.writeKey, { batch });
    expect(answer.body.rejected).toHaveLength(50);
    const rejections = await eventually(async () => {
      const { body } = await live(flood);
      expect(body.rejections).toHaveLength(20);
      return body.rejections;
    });
    for (const rejection of rejections) expect(rejection.excerpt.length).toBeLessThanOrEqual(1024);
  });

  it.each(['yesterday', '2026-13-01', '0001-01-01', '<script>alert(1)</script>', 'x'.repeat(500)])(
    'answers 400 for since=%s',
    async (since) => {
      const { status, body } = await live(project, `?since=${encodeURIComponent(since)}`);
      expect(status).toBe(400);
      expect(body).toMatchObject({ status: 400 });
    },
  );

  it('answers 401 without the project key', async () => {
    expect((await live(project, '')).status).toBe(200);
    const { status } = await queryApi(stack.queryUrl, project, 'GET', '/live', { apiKey: other.apiKey });
    expect([401, 403]).toContain(status);
  });
});
