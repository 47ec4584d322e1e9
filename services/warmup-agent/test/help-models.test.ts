// `--help` names every bundled test model, not only the transformers (issue 17: the list named two of five).
import { describe, expect, it } from 'vitest';
import { TEST_MODEL_CATALOG } from '@warmpool/warmup';
import { SERVE_COMMAND, WARM_COMMAND } from '../src/agent-commands.js';

describe('--model help', () => {
  it.each([
    ['warm', WARM_COMMAND],
    ['serve', SERVE_COMMAND],
  ])('%s lists every bundled test model', (_name, command) => {
    const help = String((command.options['model'] as { help?: string }).help);
    for (const name of Object.keys(TEST_MODEL_CATALOG)) expect(help).toContain(name);
  });
});
