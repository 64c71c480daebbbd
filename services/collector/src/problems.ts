import { HTTP_ERRORS, problems } from '@waymark/http';

/**
 * Every error the collector answers with, by stable code, as RFC 9457 problem details.
 * `problems.test.ts` checks each code is documented in docs/collector-errors.md.
 */
export const COLLECTOR_ERRORS = {
  ...HTTP_ERRORS,
  INVALID_BODY: { status: 400, title: 'The request body is not valid JSON or not a Segment batch' },
  INVALID_EVENT: { status: 400, title: 'The event is invalid' },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    title: 'Send application/json, text/plain or application/x-www-form-urlencoded (JSON)',
  },
  UNSUPPORTED_ENCODING: { status: 415, title: 'Send the body uncompressed or as gzip, deflate or br' },
  MISSING_WRITE_KEY: {
    status: 401,
    title: 'No write key: send it as the Basic auth username or as writeKey in the body',
  },
  UNKNOWN_WRITE_KEY: { status: 401, title: 'Unknown write key' },
  ORIGIN_NOT_ALLOWED: { status: 403, title: "The request's Origin is not allowed by the project" },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Request larger than 500 KB (after inflating)' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  KAFKA_UNAVAILABLE: { status: 503, title: 'Events cannot be stored right now; retry later' },
  NOT_READY: { status: 503, title: 'The collector is starting or shutting down' },
  SDK_NOT_BUILT: { status: 503, title: 'waymark.js was not built on this collector' },
  NOT_FOUND: { status: 404, title: 'No such route' },
  INTERNAL: { status: 500, title: 'Internal error' },
} as const;

export const collectorProblem = problems(COLLECTOR_ERRORS);
