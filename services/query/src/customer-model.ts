import type { ClickHouseClient } from '@clickhouse/client';
import type { CurrentCustomerModel, CustomerModelBody } from '@waymark/api-contract';
import { insertProjectDocument, latestProjectDocument, readProjectDocument } from '@waymark/clickhouse';
import { DEFAULT_CUSTOMER_MODEL, parseCustomerModel } from '@waymark/journey';
import type { z } from 'zod';
import { checkNextVersion } from './validation.ts';

export async function currentCustomerModel(
  clickhouse: ClickHouseClient,
  projectId: string,
): Promise<CurrentCustomerModel> {
  const stored = await latestProjectDocument(clickhouse, 'customerModel', projectId);
  if (stored === undefined) return { version: 1, source: 'default', model: DEFAULT_CUSTOMER_MODEL };
  return { version: stored.version, source: 'project', model: readCustomerModel(stored) };
}

const readCustomerModel = readProjectDocument('customerModel', parseCustomerModel);

/** Stores a new version; omitted thresholds take their defaults. */
export async function putCustomerModel(
  clickhouse: ClickHouseClient,
  projectId: string,
  { version, model }: z.output<typeof CustomerModelBody>,
): Promise<CurrentCustomerModel> {
  const current = await currentCustomerModel(clickhouse, projectId);
  checkNextVersion('customer model', current.version, version);
  await insertProjectDocument(clickhouse, 'customerModel', {
    projectId,
    version,
    document: JSON.stringify(model),
  });
  return { version, source: 'project', model };
}
