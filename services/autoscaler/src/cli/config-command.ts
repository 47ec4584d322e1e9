import { loadConfigFile } from '../config/load-config-file.js';
import { configSummary } from '../config/config-summary.js';
import { UsageError } from './usage-error.js';

export const CONFIG_USAGE = 'warmpool config validate FILE   check a warmpool.yaml: OK and a summary, or every problem (exit 2)';

/**
 * `warmpool config validate FILE`. Bad config throws (ValidationError / ConfigFileError), which main() prints
 * with exit code 2.
 */
export async function configCommand(argv: readonly string[], out: (s: string) => void, env: Readonly<Record<string, string | undefined>> = process.env): Promise<number> {
  const [sub, file, ...rest] = argv;
  if (sub !== 'validate') throw new UsageError(`config: unknown subcommand ${sub === undefined ? '(none)' : `"${sub}"`}; usage: ${CONFIG_USAGE}`);
  if (file === undefined || file.startsWith('-') || rest.length > 0) throw new UsageError(`config validate: expected exactly one FILE; usage: ${CONFIG_USAGE}`);
  const config = await loadConfigFile(file, env);
  out(`OK ${file}\n${configSummary(config)}`);
  return 0;
}
