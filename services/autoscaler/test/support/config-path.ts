// A config file path inside a fresh temporary folder for this test file. The daemon puts relative output (its
// checkpoint, run folders, decision log) under the config's folder by default, so a made-up path such as
// /etc/warmpool/x.yaml would make tests write there and restore one another's checkpoints across files and runs.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const folder = mkdtempSync(join(tmpdir(), 'warmpool-test-config-'));

/** `name` (e.g. `aws.yaml`) inside this test file's own temporary folder. */
export function configPath(name: string): string {
  return join(folder, name);
}
