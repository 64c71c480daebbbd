export * from './avro.ts';
export * from './fingerprint.ts';
export * from './stage-transition.ts';
export * from './stage-transition-codec.ts';
export * from './touchpoint.ts';
export * from './touchpoint-builder.ts';
export * from './touchpoint-codec.ts';
export * from './wire.ts';
