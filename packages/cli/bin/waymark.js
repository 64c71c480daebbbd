#!/usr/bin/env node
// Waymark's packages ship TypeScript (see docs/decisions/0001-monorepo-layout.md); tsx runs it.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
