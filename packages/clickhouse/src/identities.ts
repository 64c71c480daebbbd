import type { ClickHouseClient } from '@clickhouse/client';
import { formatDateTime64 } from './values.ts';

/** `aliasKey` (`a:<anonymousId>` or `u:<previousUserId>`) belongs to `customerKey` (`u:<userId>`) from now on. */
export interface IdentityLink {
  readonly projectId: string;
  readonly aliasKey: string;
  readonly customerKey: string;
  /** Epoch milliseconds; when an alias is relinked the latest link wins. */
  readonly linkedAt: number;
  /** The identify/alias touchpoint that made the link. */
  readonly messageId: string;
}

export async function insertIdentityLinks(
  client: ClickHouseClient,
  links: readonly IdentityLink[],
): Promise<void> {
  if (links.length === 0) return;
  await client.insert({
    table: 'identities',
    format: 'JSONEachRow',
    values: links.map((link) => ({
      project_id: link.projectId,
      alias_key: link.aliasKey,
      customer_key: link.customerKey,
      linked_at: formatDateTime64(link.linkedAt),
      message_id: link.messageId,
    })),
  });
}
