import type { getCustomer, getCustomerTimeline, RouteResponse } from '@waymark/api-contract';
import type { ReactNode } from 'react';
import { ApiProblem, useRoute } from './api.ts';
import { formatCount, formatInstant, formatMoney } from './format.ts';
import { Pager, pick } from './paging.tsx';
import { Link, useLocation } from './router.tsx';
import { Loading, ProblemView, TableScroll } from './ui.tsx';

type Profile = RouteResponse<typeof getCustomer>;
type Timeline = RouteResponse<typeof getCustomerTimeline>;

/** One customer: the profile (type, at risk, RFM, tier, who they are, what they bought) and the timeline. */
export function Customer({ params }: { params: Record<string, string> }) {
  const key = params.key ?? '';
  const { search } = useLocation();
  const profile = useRoute<typeof getCustomer>(
    '/v1/projects/:projectId/customers/:customer',
    new URLSearchParams(),
    { customer: key },
  );
  // The timeline waits for the profile: an unknown or invalid key is told once, by the profile's problem.
  const timeline = useRoute<typeof getCustomerTimeline>(
    '/v1/projects/:projectId/customers/:customer/timeline',
    pick(search, ['before', 'limit']),
    { customer: key },
    { enabled: profile.isSuccess },
  );
  return (
    <main className="customer">
      <h1>
        Customer <code>{key}</code>
      </h1>
      {profile.isPending ? (
        <Loading what="the customer" />
      ) : profile.isError ? (
        profile.error instanceof ApiProblem && profile.error.problem.status === 404 ? (
          <UnknownCustomer customer={key} />
        ) : (
          <ProblemView error={profile.error} />
        )
      ) : (
        <>
          <ProfileView profile={profile.data} />
          <h2>Timeline</h2>
          {timeline.isPending ? (
            <Loading what="the timeline" />
          ) : timeline.isError ? (
            <ProblemView error={timeline.error} />
          ) : (
            <TimelineView timeline={timeline.data} />
          )}
        </>
      )}
    </main>
  );
}

/** A well-formed key the project has no customer for: a mistyped link, or a customer not yet seen. */
function UnknownCustomer({ customer }: { customer: string }) {
  return (
    <section role="alert" className="problem">
      <h2>No such customer</h2>
      <p>
        The project has no customer <code>{customer}</code>: no touchpoint has been stored for it (yet). Find
        customers in the <Link href="/customers">customer list</Link>.
      </p>
    </section>
  );
}

const orNone = (value: string | number | null | undefined): string =>
  value === null || value === undefined || value === '' ? '—' : String(value);

function Facts({ title, facts }: { title: string; facts: ReadonlyArray<[string, ReactNode]> }) {
  return (
    <section className="facts" aria-label={title}>
      <h2>{title}</h2>
      <dl>
        {facts.map(([name, value]) => (
          <div key={name}>
            <dt>{name}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

const at = (iso: string | null) => (iso === null ? '—' : <time dateTime={iso}>{formatInstant(iso)}</time>);

function ProfileView({ profile: p }: { profile: Profile }) {
  const d = p.demographics;
  return (
    <div className="profile">
      <Facts
        title="Customer model"
        facts={[
          ['Type', p.type],
          ['At risk', p.atRisk ? 'yes' : 'no'],
          [
            'RFM',
            p.rfm === null
              ? '— (no order)'
              : `R${p.rfm.recency} F${p.rfm.frequency} M${p.rfm.monetary} · ${p.rfm.segment}`,
          ],
          ['Value tier', orNone(p.tier)],
          ['Current stage', orNone(p.currentStage)],
          ['Furthest stage', orNone(p.furthestStage)],
        ]}
      />
      <Facts
        title="Activity"
        facts={[
          ['Touchpoints', formatCount(p.touchpoints)],
          ['Sessions', formatCount(p.sessions)],
          ['Active days', formatCount(p.activeDays)],
          ['First seen', at(p.firstSeenAt)],
          ['Last seen', at(p.lastSeenAt)],
          ['Entry channel', orNone(p.entryChannel)],
          ['User id', orNone(p.userId)],
          ['Anonymous ids', orNone(p.anonymousIds.join(', '))],
        ]}
      />
      <Facts
        title="Purchases"
        facts={[
          ['Orders', formatCount(p.purchases.orders)],
          ['Revenue', formatMoney(p.purchases.revenue)],
          [
            'Average order',
            p.purchases.averageOrderValue === null ? '—' : formatMoney(p.purchases.averageOrderValue),
          ],
          ['First order', at(p.purchases.firstOrderAt)],
          ['Last order', at(p.purchases.lastOrderAt)],
          ['Complaints', formatCount(p.signals.complaints)],
        ]}
      />
      <Facts
        title="Who they are"
        facts={[
          ['Age', orNone(d.age)],
          ['Gender', orNone(d.gender)],
          ['Income', orNone(d.income)],
          ['Education', orNone(d.education)],
          ['Occupation', orNone(d.occupation)],
          ['Marital status', orNone(d.maritalStatus)],
          ['Interests', orNone(p.interests.join(', '))],
          [
            'Place',
            orNone([p.geography.city, p.geography.region, p.geography.country].filter(Boolean).join(', ')),
          ],
          [
            'Device',
            orNone(
              [p.technographics.device, p.technographics.os, p.technographics.browser]
                .filter(Boolean)
                .join(', '),
            ),
          ],
        ]}
      />
    </div>
  );
}

function TimelineView({ timeline }: { timeline: Timeline }) {
  if (timeline.touchpoints.length === 0)
    return <p className="empty">No touchpoints {timeline.next === null ? '' : 'on this page'}.</p>;
  return (
    <>
      <TableScroll label="Timeline table">
        <table className="figures timeline">
          <caption>Touchpoints, newest first, across the customer's devices and identities</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Type</th>
              <th scope="col">Event or page</th>
              <th scope="col">Stage</th>
              <th scope="col">Channel</th>
              <th scope="col">Device</th>
              <th scope="col">Revenue</th>
              <th scope="col">Identity</th>
            </tr>
          </thead>
          <tbody>
            {timeline.touchpoints.map((t) => (
              <tr key={t.messageId} data-message-id={t.messageId}>
                <th scope="row">
                  <time dateTime={t.at} data-csv={t.at}>
                    {formatInstant(t.at)}
                  </time>
                </th>
                <td>{t.type}</td>
                <td>{t.event ?? t.name ?? t.pagePath ?? '—'}</td>
                <td>{orNone(t.stage)}</td>
                <td>{orNone(t.channel)}</td>
                <td>{orNone(t.device)}</td>
                <td data-csv={t.revenue === 0 ? undefined : t.revenue}>
                  {t.revenue === 0 ? '—' : `${formatMoney(t.revenue)}${t.currency ? ` ${t.currency}` : ''}`}
                </td>
                <td>{t.rawKey}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
      <Pager param="before" next={timeline.next} label="Pages of the timeline" />
    </>
  );
}
