import { Readable } from 'node:stream';
import { eraseCustomer, exportCustomer, getErasure as getErasureRoute } from '@waymark/api-contract';
import {
  type Erasure,
  exportCustomer as exportCustomerRows,
  getErasure,
  queryCustomer,
  requestErasure,
} from '@waymark/clickhouse';
import { currentCustomerModel } from '../customer-model.ts';
import { queryProblem } from '../problems.ts';
import { parse } from '../validation.ts';
import { route, type ServedRoute } from './route.ts';

const answer = (erasure: Erasure) => ({
  id: erasure.erasureId,
  status: erasure.status,
  keyHash: erasure.keyHash,
  requestedBy: erasure.requestedBy,
  requestedAt: new Date(erasure.requestedAt).toISOString(),
  completedAt: erasure.completedAt === null ? null : new Date(erasure.completedAt).toISOString(),
  rawKeys: erasure.rawKeys,
  stepsDone: [...erasure.stepsDone],
});

/** The export is streamed, so it is served here rather than through `route` (which sends one parsed answer). */
const exportRoute: ServedRoute = {
  contract: exportCustomer,
  answer: () => Promise.reject(new Error('exportCustomer streams its answer: it cannot be a tile')),
  register(app, { clickhouse, authorize }) {
    app.get(exportCustomer.path, async (request, reply) => {
      const { projectId } = await authorize(request);
      const { customer } = parse(exportCustomer.params, request.params);
      const { model } = await currentCustomerModel(clickhouse, projectId);
      const profile = (await queryCustomer(clickhouse, { projectId, model, customer })) ?? null;
      return reply
        .type('application/json')
        .header('content-disposition', 'attachment; filename="customer-export.json"')
        .send(Readable.from(exportCustomerRows(clickhouse, { projectId, key: customer, profile })));
    });
  },
};

export const erasureRoutes = [
  route(eraseCustomer, async ({ projectId, apiKeyId, params: { customer } }, { clickhouse, erasures }) => {
    const erasure = await requestErasure(clickhouse, { projectId, key: customer, requestedBy: apiKeyId });
    erasures.start(erasure);
    return answer(erasure);
  }),
  route(getErasureRoute, async ({ projectId, params: { erasureId } }, { clickhouse }) => {
    const erasure = await getErasure(clickhouse, projectId, erasureId);
    if (erasure === undefined) throw queryProblem('NOT_FOUND', `no erasure ${erasureId} in this project`);
    return answer(erasure);
  }),
  exportRoute,
];
