import { listEventNames, listEventProperties, listPropertyValues } from '@waymark/api-contract';
import { queryEventNames, queryEventProperties, queryPropertyValues } from '@waymark/clickhouse';
import { route } from './route.ts';

const rangeOf = (projectId: string, query: { from: Date; to: Date; limit: number }) => ({
  projectId,
  from: query.from,
  to: query.to,
  limit: query.limit,
});

const answerRange = (query: { from: Date; to: Date }) => ({
  from: query.from.toISOString(),
  to: query.to.toISOString(),
});

export const eventCatalogRoutes = [
  route(listEventNames, async ({ projectId, query }, { clickhouse }) => {
    const page = await queryEventNames(clickhouse, {
      ...rangeOf(projectId, query),
      ...(query.prefix !== undefined && { prefix: query.prefix }),
    });
    return { ...answerRange(query), events: page.items, truncated: page.truncated };
  }),

  route(listEventProperties, async ({ projectId, query }, { clickhouse }) => {
    const page = await queryEventProperties(clickhouse, {
      ...rangeOf(projectId, query),
      ...(query.event !== undefined && { event: query.event }),
    });
    return {
      ...answerRange(query),
      event: query.event ?? null,
      properties: page.items,
      truncated: page.truncated,
    };
  }),

  route(listPropertyValues, async ({ projectId, query }, { clickhouse }) => {
    const page = await queryPropertyValues(clickhouse, {
      ...rangeOf(projectId, query),
      property: query.property,
      ...(query.event !== undefined && { event: query.event }),
    });
    return {
      ...answerRange(query),
      event: query.event ?? null,
      property: query.property,
      values: page.items,
      truncated: page.truncated,
    };
  }),
];
