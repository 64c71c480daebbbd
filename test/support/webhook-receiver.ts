import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  readonly headers: Record<string, string | undefined>;
  readonly body: string;
  /** The status the receiver answered. */
  readonly status: number;
  /** Wall-clock arrival time. */
  readonly receivedAt: number;
  /** Arrival on the receiver's clock (the test's simulated time), which the signature's timestamp is checked against. */
  readonly clockAt: number;
}

/**
 * A local webhook endpoint that records every request; `down` makes it answer 503 (a receiver outage) while
 * still recording the attempt.
 */
export interface WebhookReceiver {
  readonly url: string;
  readonly requests: ReceivedWebhook[];
  /** Requests answered 2xx. */
  accepted(): ReceivedWebhook[];
  down: boolean;
  close(): Promise<void>;
}

export async function startWebhookReceiver(clock: () => number = Date.now): Promise<WebhookReceiver> {
  const requests: ReceivedWebhook[] = [];
  const state = { down: false };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const status = state.down ? 503 : 204;
      const headers: Record<string, string | undefined> = {};
      for (const [name, value] of Object.entries(request.headers))
        headers[name] = Array.isArray(value) ? value.join(',') : value;
      requests.push({
        headers,
        body: Buffer.concat(chunks).toString('utf8'),
        status,
        receivedAt: Date.now(),
        clockAt: clock(),
      });
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    accepted: () => requests.filter((r) => r.status < 300),
    get down() {
      return state.down;
    },
    set down(value: boolean) {
      state.down = value;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
