export * from './avro.ts';
export * from './fingerprint.ts';
export * from './touchpoint.ts';
export * from './touchpoint-builder.ts';
export * from './touchpoint-codec.ts';
export * from './wire.ts';
