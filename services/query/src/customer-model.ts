import type { ClickHouseClient } from '@clickhouse/client';
import { insertProjectDocument, latestProjectDocument } from '@waymark/clickhouse';
import { CustomerModel, DEFAULT_CUSTOMER_MODEL } from '@waymark/journey';
import { z } from 'zod';
import { queryProblem } from './problems.ts';
import { checkNextVersion, parse } from './validation.ts';

export interface CurrentCustomerModel {
  /** 1 is the documented default; a project's first own model is version 2. */
  version: number;
  source: 'default' | 'project';
  model: CustomerModel;
}

export async function currentCustomerModel(
  clickhouse: ClickHouseClient,
  projectId: string,
): Promise<CurrentCustomerModel> {
  const stored = await latestProjectDocument(clickhouse, 'customerModel', projectId);
  if (stored === undefined) return { version: 1, source: 'default', model: DEFAULT_CUSTOMER_MODEL };
  const parsed = CustomerModel.safeParse(JSON.parse(stored.document));
  if (!parsed.success) {
    throw queryProblem('INTERNAL', `stored customer model version ${stored.version} is invalid`);
  }
  return { version: stored.version, source: 'project', model: parsed.data };
}

const PutBody = z.strictObject({ version: z.number().int().min(2), model: CustomerModel });

/** Stores a new version; omitted thresholds take their defaults. */
export async function putCustomerModel(
  clickhouse: ClickHouseClient,
  projectId: string,
  body: unknown,
): Promise<CurrentCustomerModel> {
  const { version, model } = parse(PutBody, body);
  const current = await currentCustomerModel(clickhouse, projectId);
  checkNextVersion('customer model', current.version, version);
  await insertProjectDocument(clickhouse, 'customerModel', {
    projectId,
    version,
    document: JSON.stringify(model),
  });
  return { version, source: 'project', model };
}
