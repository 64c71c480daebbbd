import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One request the page sent to the collector, and what it was answered. */
export interface Delivery {
  path: string;
  origin: string | undefined;
  contentType: string | undefined;
  messageIds: string[];
  status: number | 'unreachable';
}

export type ProxyMode = 'pass' | 'unavailable' | 'unreachable';

export interface CollectorProxy {
  /** What the page uses as its collector host. */
  url: string;
  deliveries: Delivery[];
  /**
   * `pass`: forward to the real collector; `unavailable`: answer 503 + Retry-After like a collector whose
   * Kafka is down; `unreachable`: stop listening, so connections are refused.
   */
  setMode(mode: ProxyMode): Promise<void>;
  /** How many times each messageId was answered 200 (accepted by the real collector). */
  acceptedCounts(): Map<string, number>;
  /** How many requests carried each messageId, whatever the answer. */
  sentCounts(): Map<string, number>;
  close(): Promise<void>;
}

const readBody = (request: IncomingMessage) =>
  new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });

function messageIdsOf(body: Buffer): string[] {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as {
      batch?: Array<{ messageId?: string }>;
      messageId?: string;
    };
    const events = parsed.batch ?? [parsed];
    return events.map((e) => e.messageId).filter((id): id is string => typeof id === 'string');
  } catch {
    return [];
  }
}

/**
 * The page's network to the real collector: a recording proxy that can play an outage. It stands where a
 * load balancer would; everything it forwards reaches the real collector unchanged (Origin included).
 */
export async function startCollectorProxy(collectorUrl: string): Promise<CollectorProxy> {
  const deliveries: Delivery[] = [];
  let mode: ProxyMode = 'pass';
  const sockets = new Set<Socket>();

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const body = await readBody(request);
    const path = request.url ?? '/';
    const delivery: Delivery = {
      path,
      origin: request.headers.origin,
      contentType: request.headers['content-type'],
      messageIds: request.method === 'POST' ? messageIdsOf(body) : [],
      status: 503,
    };
    if (request.method === 'POST') deliveries.push(delivery);
    if (mode === 'unavailable') {
      response.writeHead(503, {
        'content-type': 'application/problem+json',
        'retry-after': '1',
        'access-control-allow-origin': request.headers.origin ?? '*',
        'access-control-expose-headers': 'Retry-After',
      });
      response.end(JSON.stringify({ code: 'KAFKA_UNAVAILABLE', status: 503 }));
      return;
    }
    const headers = new Headers();
    for (const [name, value] of Object.entries(request.headers)) {
      if (typeof value === 'string' && !['host', 'connection', 'content-length'].includes(name)) {
        headers.set(name, value);
      }
    }
    const answer = await fetch(new URL(path, collectorUrl), {
      method: request.method,
      headers,
      body: request.method === 'GET' || request.method === 'HEAD' ? undefined : new Uint8Array(body),
    });
    delivery.status = answer.status;
    const out: Record<string, string> = {};
    answer.headers.forEach((value, name) => {
      if (!['content-encoding', 'content-length', 'transfer-encoding', 'connection'].includes(name))
        out[name] = value;
    });
    response.writeHead(answer.status, out);
    response.end(Buffer.from(await answer.arrayBuffer()));
  };

  const server: Server = createServer((request, response) => {
    handle(request, response).catch(() => response.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const listen = (port: number) =>
    new Promise<number>((resolve) =>
      server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
    );
  const stop = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
  const port = await listen(0);

  const count = (accepted: boolean) => {
    const counts = new Map<string, number>();
    for (const d of deliveries) {
      if (accepted && d.status !== 200) continue;
      for (const id of d.messageIds) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    return counts;
  };

  return {
    url: `http://127.0.0.1:${port}`,
    deliveries,
    async setMode(next) {
      if (next === mode) return;
      if (next === 'unreachable') await stop();
      else if (mode === 'unreachable') await listen(port);
      mode = next;
    },
    acceptedCounts: () => count(true),
    sentCounts: () => count(false),
    async close() {
      if (mode !== 'unreachable') await stop();
    },
  };
}
