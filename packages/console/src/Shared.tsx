import type { getSharedDashboard, getSharedTile } from '@waymark/api-contract';
import { useState } from 'react';
import { useSharedRoute } from './api.ts';
import { formatInstant } from './format.ts';
import { Tile } from './TileFigures.tsx';
import { Loading, ProblemView } from './ui.tsx';

/**
 * A dashboard opened by its share link (`/shared#<token>`): no session, no navigation, nothing but the one
 * dashboard. The token stays in the fragment, which the browser sends to no server and no Referer, and
 * travels only as `Authorization: Share <token>` to the /v1/shared routes.
 */
export function Shared() {
  const [token] = useState(() => window.location.hash.slice(1));
  const board = useSharedRoute<typeof getSharedDashboard>(token, '/v1/shared/dashboard', {});
  return (
    <main className="shared">
      {board.isPending ? (
        <Loading what="the shared dashboard" />
      ) : board.error ? (
        <>
          <h1>Shared dashboard</h1>
          <ProblemView error={board.error} />
        </>
      ) : (
        <>
          <h1>{board.data.name}</h1>
          <p className="note">
            A read-only dashboard shared with you, until {formatInstant(board.data.expiresAt)}.
          </p>
          <div className="tiles">
            {board.data.tiles.map((tile, index) => (
              <SharedTile key={`${index}-${tile.name}`} token={token} index={index} {...tile} />
            ))}
          </div>
        </>
      )}
    </main>
  );
}

function SharedTile({
  token,
  index,
  name,
  width,
}: {
  token: string;
  index: number;
  name: string;
  width: number;
}) {
  const tile = useSharedRoute<typeof getSharedTile>(token, '/v1/shared/tiles/:index', {
    index: String(index),
  });
  return <Tile name={name} width={width} tile={tile} />;
}
