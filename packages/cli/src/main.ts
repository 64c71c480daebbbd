import { ConfigError } from '@waymark/config';
import { runCli, USAGE, UsageError } from './cli.ts';

runCli(process.argv.slice(2), process.env)
  .then((code) => {
    if (code >= 0) process.exit(code);
  })
  .catch((error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`waymark: ${error.message}\n\n${USAGE}\n`);
      process.exit(2);
    }
    process.stderr.write(
      `waymark: ${error instanceof ConfigError ? error.message : ((error as Error).stack ?? String(error))}\n`,
    );
    process.exit(1);
  });
