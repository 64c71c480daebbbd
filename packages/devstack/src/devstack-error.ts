export type DevstackErrorCode =
  | 'JAVA_NOT_FOUND'
  | 'JAVA_TOO_OLD'
  | 'MAVEN_NOT_FOUND'
  | 'MAVEN_RESOLVE_FAILED'
  | 'KAFKA_PORT_IN_USE'
  | 'KAFKA_DATA_DIR_IN_USE'
  | 'KAFKA_STORAGE_FORMAT_FAILED'
  | 'KAFKA_EXITED_DURING_STARTUP'
  | 'KAFKA_START_TIMEOUT';

/** Failures to bring up local infrastructure; `code` is stable, the message says what to do. */
export class DevstackError extends Error {
  readonly code: DevstackErrorCode;

  constructor(code: DevstackErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DevstackError';
    this.code = code;
  }
}
