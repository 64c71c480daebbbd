import {
  getCustomer,
  getCustomerModel,
  getSegments,
  listCustomers,
  putCustomerModel as putCustomerModelRoute,
} from '@waymark/api-contract';
import { queryCustomer, queryCustomers, querySegments } from '@waymark/clickhouse';
import { currentCustomerModel, putCustomerModel } from '../customer-model.ts';
import { queryProblem } from '../problems.ts';
import { route } from './route.ts';

export const customerRoutes = [
  route(listCustomers, async ({ projectId, query }, { clickhouse }) => {
    const { limit, after, ...filter } = query;
    const { model } = await currentCustomerModel(clickhouse, projectId);
    return queryCustomers(clickhouse, { projectId, model, filter, limit, after });
  }),
  route(getCustomer, async ({ projectId, params: { customer } }, { clickhouse }) => {
    const { model } = await currentCustomerModel(clickhouse, projectId);
    const profile = await queryCustomer(clickhouse, { projectId, model, customer });
    if (profile === undefined) throw queryProblem('NOT_FOUND', `no customer ${customer} in this project`);
    return profile;
  }),
  route(getSegments, async ({ projectId, query: { dimension } }, { clickhouse }) => {
    const { model } = await currentCustomerModel(clickhouse, projectId);
    return { dimension, segments: await querySegments(clickhouse, { projectId, model, dimension }) };
  }),
  route(getCustomerModel, async ({ projectId }, { clickhouse }) =>
    currentCustomerModel(clickhouse, projectId),
  ),
  route(putCustomerModelRoute, async ({ projectId, body }, { clickhouse }) =>
    putCustomerModel(clickhouse, projectId, body),
  ),
];
