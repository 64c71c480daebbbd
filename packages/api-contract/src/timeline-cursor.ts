import { z } from 'zod';

/** Where a timeline page starts: a touchpoint's time and message id (`messageId: ''` for an instant). */
export interface TimelinePosition {
  readonly at: number;
  readonly messageId: string;
}

/*
 * Cursors are base64url of JSON, written with the web platform's btoa/atob (not Node's Buffer) so a browser
 * reads and writes them with the same code.
 */
const utf8 = { encoder: new TextEncoder(), decoder: new TextDecoder() };

/** The opaque `next` of a timeline page: its last touchpoint's time and message id. */
export function timelineCursor(position: TimelinePosition): string {
  const bytes = utf8.encoder.encode(JSON.stringify([position.at, position.messageId]));
  return btoa(String.fromCharCode(...bytes))
    .replaceAll('+', '-')
    .replaceAll('/', '_')
    .replace(/=+$/, '');
}

const CursorContent = z.tuple([z.number().int().min(-8.64e15).max(8.64e15), z.string().min(1).max(600)]);

/** The position a `next` cursor names; undefined for anything that is not one. */
export function positionOfCursor(cursor: string): TimelinePosition | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  try {
    const binary = atob(cursor.replaceAll('-', '+').replaceAll('_', '/'));
    const text = utf8.decoder.decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
    const parsed = CursorContent.safeParse(JSON.parse(text));
    return parsed.success ? { at: parsed.data[0], messageId: parsed.data[1] } : undefined;
  } catch {
    return undefined;
  }
}
