#!/usr/bin/env node
/** `npm run models -w @warmpool/warmup`: writes every bundled test model into packages/warmup/models/. */
import { statSync } from 'node:fs';
import { TEST_MODEL_CATALOG, ensureTestModel } from '../models/test-model-catalog.js';

for (const name of Object.keys(TEST_MODEL_CATALOG)) {
  const file = ensureTestModel(name);
  console.log(`${name}: ${file} (${(statSync(file).size / 1e6).toFixed(1)} MB)`);
}
