// The model list at the head of the README names every bundled test model (issue 17: it showed five of fifteen).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TEST_MODEL_CATALOG } from '@warmpool/warmup';

describe('README head', () => {
  it('names every bundled test model in the warm example', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const head = readme.slice(0, readme.indexOf('npx warmpool-agent warm --model'));
    const listed = new Set(head.match(/\b(?:tiny|small)-[a-z0-9-]*[a-z0-9]\b/g) ?? []);
    expect([...listed].sort()).toEqual(Object.keys(TEST_MODEL_CATALOG).sort());
  });
});
