import { ValidationError } from '@warmpool/domain';
import { loadConfigFile } from '../config/load-config-file.js';
import { configSummary } from '../config/config-summary.js';
import { checkEnvironment, type EnvironmentProbe } from '../config/environment-checks.js';
import { UsageError } from './usage-error.js';

export const CONFIG_USAGE =
  'warmpool config validate FILE [--static]   check a warmpool.yaml as `run` would: the file (every key), then this machine (tokens, files, folders, servers; --static skips these): OK and a summary, or every problem (exit 2)';

/**
 * `warmpool config validate FILE [--static]`. First the file (a bad one throws ValidationError / ConfigFileError,
 * which main() prints with exit code 2), then the environment checks `run` needs before acting; failed ones are a
 * ValidationError whose paths say `(environment)`. `--static` stops after the file (a cluster's config checked
 * off the cluster).
 */
export async function configCommand(
  argv: readonly string[],
  out: (s: string) => void,
  env: Readonly<Record<string, string | undefined>> = process.env,
  probe: Omit<EnvironmentProbe, 'env'> = {},
): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'validate') throw new UsageError(`config: unknown subcommand ${sub === undefined ? '(none)' : `"${sub}"`}; usage: ${CONFIG_USAGE}`);
  const staticOnly = rest.includes('--static');
  const files = rest.filter((a) => a !== '--static');
  const file = files[0];
  if (file === undefined || file.startsWith('-') || files.length > 1) throw new UsageError(`config validate: expected exactly one FILE; usage: ${CONFIG_USAGE}`);
  const config = await loadConfigFile(file, env);
  if (staticOnly) {
    out(`OK ${file} (the file only: environment checks skipped with --static)\n${configSummary(config)}`);
    return 0;
  }
  const checks = await checkEnvironment(config, { ...probe, env });
  const failed = checks.filter((c) => c.status === 'failed');
  if (failed.length > 0) {
    throw new ValidationError(
      failed.map((c) => ({ path: `${c.key} (environment)`, value: c.detail, allowed: c.needs })),
      `${file}: the file is valid, but this machine is not ready to run it`,
    );
  }
  const mark = { ok: 'ok       ', unchecked: 'unchecked', failed: 'FAILED   ' } as const;
  out(
    `OK ${file}\n${configSummary(config)}\n` +
      `environment checks (this machine; what run needs before acting; --static skips them):\n` +
      checks.map((c) => `  ${mark[c.status]} ${c.key}: ${c.detail}`).join('\n'),
  );
  return 0;
}
