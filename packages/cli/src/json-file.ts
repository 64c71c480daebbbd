import { readFile } from 'node:fs/promises';
import { UsageError } from './usage-error.ts';

const MAX_BYTES = 1024 * 1024;

/** A JSON file given on the command line, at most 1 MB; every failure is a usage error naming the file. */
export async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(
      `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  if (Buffer.byteLength(text) > MAX_BYTES) throw new UsageError(`${path} is larger than 1 MB`);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
}
