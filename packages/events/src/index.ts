export * from './touchpoint.ts';
export * from './wire.ts';
