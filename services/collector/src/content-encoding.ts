import { PassThrough, type Readable } from 'node:stream';
import zlib from 'node:zlib';
import { collectorProblem } from './problems.ts';

const DECODERS: Readonly<Record<string, () => zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress>> = {
  gzip: () => zlib.createGunzip(),
  'x-gzip': () => zlib.createGunzip(),
  deflate: () => zlib.createInflate(),
  br: () => zlib.createBrotliDecompress(),
};

/** The body fastify reads: `receivedEncodedLength` is what it checks against Content-Length. */
type DecodedBody = PassThrough & { receivedEncodedLength: number };

/**
 * The request body inflated as its Content-Encoding says (RudderStack's node and python libraries gzip by
 * default). Inflating stops the moment the output passes `limit` and the request gets 413: a few hundred
 * KB of gzip can hold gigabytes of zeros. zstd is refused with 415 because this Node has no zstd decoder.
 */
export function decodedBody(encodingHeader: string | undefined, payload: Readable, limit: number): Readable {
  const encoding = (encodingHeader ?? '').trim().toLowerCase();
  if (encoding === '' || encoding === 'identity') return payload;
  const decoder = DECODERS[encoding]?.();
  if (decoder === undefined) {
    throw collectorProblem(
      'UNSUPPORTED_ENCODING',
      encoding === 'zstd' || encoding.includes(',')
        ? `Content-Encoding ${encoding} is not supported; send one of gzip, deflate or br`
        : `unknown Content-Encoding ${encoding}; send gzip, deflate, br or none`,
    );
  }

  const body: DecodedBody = Object.assign(new PassThrough(), { receivedEncodedLength: 0 });
  // Fastify stops listening once it has refused the body; an error after that must not go unhandled.
  body.on('error', () => {});
  let inflated = 0;
  let stopped = false;
  const stop = (error: Error) => {
    if (stopped) return;
    stopped = true;
    payload.unpipe(decoder);
    decoder.destroy();
    body.destroy(error);
  };
  payload.on('data', (chunk: Buffer) => {
    body.receivedEncodedLength += chunk.length;
    if (body.receivedEncodedLength > limit) stop(collectorProblem('PAYLOAD_TOO_LARGE'));
  });
  payload.on('error', stop);
  decoder.on('data', (chunk: Buffer) => {
    inflated += chunk.length;
    if (inflated > limit) {
      stop(
        collectorProblem('PAYLOAD_TOO_LARGE', `the ${encoding} body inflates to more than ${limit} bytes`),
      );
    } else {
      body.write(chunk);
    }
  });
  decoder.on('end', () => {
    if (!stopped) body.end();
  });
  decoder.on('error', (error) =>
    stop(collectorProblem('INVALID_BODY', `the body is not valid ${encoding}: ${error.message}`)),
  );
  payload.pipe(decoder);
  return body;
}
