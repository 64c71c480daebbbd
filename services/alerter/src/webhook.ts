import { createHmac, timingSafeEqual } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { type WebhookEgress, WebhookEgressError } from '@waymark/http';

/*
 * The webhook contract (docs/alerting.md, "Delivery"): POST with a JSON body and
 *   X-Waymark-Timestamp: unix seconds of this attempt
 *   X-Waymark-Signature: v1=<hex HMAC-SHA256(secret, `${timestamp}.${body}`)>
 *   X-Waymark-Idempotency-Key (and Idempotency-Key): the notification id, the same on every attempt
 * The signed timestamp lets receivers refuse replays older than their tolerance (5 minutes recommended);
 * each attempt is signed afresh, so a retry hours later still verifies.
 */

export function webhookSignature(secret: string, timestampSeconds: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex')}`;
}

/** The receiver's side, as documented: signature over timestamp + body, and a timestamp within tolerance. */
export function verifyWebhookSignature(options: {
  secret: string;
  body: string;
  timestamp: string | undefined;
  signature: string | undefined;
  nowSeconds: number;
  toleranceSeconds?: number;
}): boolean {
  const timestamp = Number(options.timestamp);
  if (!Number.isInteger(timestamp) || options.signature === undefined) return false;
  if (Math.abs(options.nowSeconds - timestamp) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(webhookSignature(options.secret, timestamp, options.body));
  const given = Buffer.from(options.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export interface NotificationPayload {
  readonly id: string;
  readonly type: 'alert.firing' | 'alert.resolved';
  readonly severity: string;
  readonly summary: string;
  readonly rule: {
    readonly id: string;
    readonly name: string;
    readonly kind: string;
    readonly version?: number;
  };
  readonly rootCause?: ReadonlyArray<{ value: string; relativeDrop: number }>;
  readonly links?: Record<string, string>;
  readonly [key: string]: unknown;
}

/** The body for a webhook's format: Waymark's JSON, or a Slack incoming-webhook message. */
export function webhookBody(payload: NotificationPayload, format: 'json' | 'slack'): string {
  if (format === 'json') return JSON.stringify(payload);
  const firing = payload.type === 'alert.firing';
  const title = `${firing ? (payload.severity === 'critical' ? ':red_circle:' : ':large_orange_circle:') : ':white_check_mark:'} ${
    firing ? `[${payload.severity}]` : '[resolved]'
  } ${payload.rule.name}`;
  const causes = (payload.rootCause ?? [])
    .map((r) => `• ${r.value || '(unknown)'}: −${(r.relativeDrop * 100).toFixed(1)}%`)
    .join('\n');
  const link = payload.links?.alerts;
  const text = `${title}: ${payload.summary}`;
  return JSON.stringify({
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${title}*\n${payload.summary}` } },
      ...(causes === ''
        ? []
        : [{ type: 'section', text: { type: 'mrkdwn', text: `Where it concentrates:\n${causes}` } }]),
      ...(link === undefined
        ? []
        : [{ type: 'context', elements: [{ type: 'mrkdwn', text: `<${link}|Alert history>` }] }]),
    ],
  });
}

/** Scheme and host only: webhook URLs often carry a token in their path (Slack's do), so logs never show more. */
export function urlForLogs(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '<invalid url>';
  }
}

/** `permanent`: retrying cannot help (the target is refused by the egress policy). */
export type DeliveryResult = { ok: true; status: number } | { ok: false; error: string; permanent?: true };

/**
 * One attempt; never throws. Sent with node:http(s) rather than fetch for `lookup`: the socket connects to the
 * address the egress policy checked. An address literal is checked here (no lookup happens for it). Redirects
 * are not followed: a 3xx is a failed attempt, so a public URL cannot bounce a delivery to a private one.
 */
export async function postWebhook(options: {
  url: string;
  secret: string;
  body: string;
  idempotencyKey: string;
  nowSeconds: number;
  timeoutMs: number;
  egress: WebhookEgress;
}): Promise<DeliveryResult> {
  const refused = options.egress.urlRefusal(options.url);
  if (refused !== undefined) return { ok: false, error: `refused: ${refused}`, permanent: true };
  const target = new URL(options.url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<DeliveryResult>((resolve) => {
    const request = send(
      target,
      {
        method: 'POST',
        lookup: options.egress.lookup,
        signal: AbortSignal.timeout(options.timeoutMs),
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(options.body),
          'user-agent': 'waymark-alerter/0.1',
          'x-waymark-timestamp': String(options.nowSeconds),
          'x-waymark-signature': webhookSignature(options.secret, options.nowSeconds, options.body),
          'x-waymark-idempotency-key': options.idempotencyKey,
          'idempotency-key': options.idempotencyKey,
        },
      },
      (response) => {
        // Only the status matters: the body is not read, so a receiver cannot keep the attempt busy.
        response.destroy();
        const status = response.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve({ ok: true, status });
        else if (status >= 300 && status < 400)
          resolve({ ok: false, error: `HTTP ${status} (redirects are not followed)` });
        else resolve({ ok: false, error: `HTTP ${status}` });
      },
    );
    request.on('error', (error: Error & { code?: string }) => {
      if (error instanceof WebhookEgressError) {
        resolve({ ok: false, error: `refused: ${error.message}`, permanent: true });
      } else {
        resolve({ ok: false, error: error.name === 'AbortError' ? 'timeout' : (error.code ?? error.name) });
      }
    });
    request.end(options.body);
  });
}

/** Exponential backoff: initial, 2×, 4× … capped. */
export function retryDelayMs(attempts: number, initialMs: number, maxMs: number): number {
  return Math.min(maxMs, initialMs * 2 ** Math.max(0, attempts - 1));
}
