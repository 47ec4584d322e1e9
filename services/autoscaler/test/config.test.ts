import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ValidationError } from '@warmpool/domain';
import { main } from '../src/main.js';
import { configCommand } from '../src/cli/config-command.js';
import { ConfigFileError, loadConfigFile, parseConfigText } from '../src/config/load-config-file.js';

const EXAMPLES = resolve(import.meta.dirname, '../../../infra/examples');
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'warmpool-config-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(
    argv,
    (s) => (out += s + '\n'),
    (s) => (err += s + '\n'),
  );
  return { code, out, err };
}

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ValidationError)
      return e.issues.map((i) => `${i.path} | ${JSON.stringify(i.value)} | ${i.allowed}`);
    throw e;
  }
  throw new Error('expected a ValidationError');
}

const MINIMAL = `models:\n  - name: m\n    capacityPerReplicaPerS: 2\n    target: { modelFile: m.onnx }\n`;

describe('warmpool.yaml', () => {
  it('every example in infra/examples validates, one per provider kind', async () => {
    const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml'));
    const kinds = new Set<string>();
    for (const f of files) {
      const c = await loadConfigFile(join(EXAMPLES, f), {});
      kinds.add(c.provider.kind);
      expect(c.models.length).toBeGreaterThan(0);
    }
    expect([...kinds].sort()).toEqual(['aws', 'kubernetes', 'local']);
  });

  it('rejects several daemons with the local provider sharing a queue (issue 16, finding 3): a redis queue with provider.kind local', () => {
    const yaml = `${MINIMAL}queue: { kind: redis, url: 'redis://127.0.0.1:6379' }\nleaderElection: { kind: redis-lock }\n`;
    expect(issuesOf(() => parseConfigText(yaml, '/etc/warmpool/warmpool.yaml'))).toEqual([
      expect.stringMatching(/^queue\.kind (\(line \d+\) )?\| "redis" \| in-process with provider\.kind local/),
    ]);
  });

  it('fills defaults: local provider, no history, in-process queue, tick 5 s, no leader election', () => {
    const c = parseConfigText(MINIMAL, '/etc/warmpool/warmpool.yaml');
    expect(c).toMatchObject({
      tickS: 5,
      dryRun: false,
      provider: { kind: 'local' },
      history: { kind: 'none' },
      queue: { kind: 'in-process' },
      leaderElection: { kind: 'none' },
    });
    expect(c.models[0]!.spec).toMatchObject({
      name: 'm',
      capacityPerReplicaPerS: 2,
      minWarmReplicas: 1,
      leadTime: { provisionS: 30 },
    });
    expect(c.models[0]!.target).toEqual({
      kind: 'local',
      local: { modelFile: '/etc/warmpool/m.onnx', args: [], provisionDelayMs: 0 },
    });
    expect(c.provider).toEqual({
      kind: 'local',
      loadBalancerUrl: 'http://127.0.0.1:8080',
      startLoadBalancer: false,
      runDir: '/etc/warmpool/.warmpool/run',
      agentBinPath: undefined,
    });
    expect(c.stateDir).toBe('/etc/warmpool');
    expect(c.models[0]!.stepS).toBe(60);
    expect(
      parseConfigText(
        MINIMAL.replace('    target:', '    warmupSpec: warmup/m.json\n    target:'),
        '/etc/warmpool/w.yaml',
      ).models[0]!.warmupSpec,
    ).toBe('/etc/warmpool/warmup/m.json');
  });

  it('REDIS_URL in the environment selects the Redis queue (and is the default for the lock and stream)', () => {
    const text = `${MINIMAL}leaderElection: { kind: redis-lock }\ndecisionLog: { redisStream: true }\n`;
    const c = parseConfigText(text, 'w.yaml', { REDIS_URL: 'redis://10.0.0.5:6380' });
    expect(c.queue).toMatchObject({ kind: 'redis', redisUrl: 'redis://10.0.0.5:6380' });
    expect(c.leaderElection.redisUrl).toBe('redis://10.0.0.5:6380');
    expect(c.decisionLog).toMatchObject({ redisStreamKey: 'warmpool:decisions', redisUrl: 'redis://10.0.0.5:6380' });
    expect(
      parseConfigText(`${MINIMAL}queue: { kind: in-process }\n`, 'w.yaml', { REDIS_URL: 'redis://x:1' }).queue.kind,
    ).toBe('in-process');
  });

  it('reports every problem at once with key path, line, value and what is allowed', () => {
    const text = [
      'tickS: 0',
      'dryRun: "yes"',
      'provider: { kind: kubernetes, region: us-east-1 }',
      'history: { kind: prometheus }',
      'queue: { kind: sqs }',
      'leaderElection: { kind: zookeeper }',
      'models:',
      '  - name: Llama',
      '    capacityPerReplicaPerS: 0',
      '    leadTime: { loadS: -3 }',
      '    minWarmReplicas: 5',
      '    maxReplicas: 2',
      '    typo: 1',
      '    target: { name: llama }',
      '  - name: b',
      '    capacityPerReplicaPerS: 1',
      '    target: { name: b, podSelector: app=b }',
      '  - name: b',
      '    capacityPerReplicaPerS: 1',
      '    target: { name: b2, podSelector: app=b2, kind: Job }',
    ].join('\n');
    const issues = issuesOf(() => parseConfigText(text, 'bad.yaml'));
    const expected = [
      /^tickS \(line 1\) \| 0 \| a number in \[0\.01, 3600\]$/,
      /^dryRun \(line 2\) \| "yes" \| true or false$/,
      /^provider\.region \(line 3\) \| "us-east-1" \| not set for provider\.kind kubernetes$/,
      /^history\.url \(line 4\) \| undefined \| a non-empty string$/,
      /^history\.query \(line 4\) \| undefined \| a non-empty string$/,
      /^queue\.kind \(line 5\) \| "sqs" \| one of in-process, redis$/,
      /^leaderElection\.kind \(line 6\) \| "zookeeper" \| one of none, kubernetes-lease, redis-lock$/,
      /^models\[0\]\.name \(line 8\) \| "Llama" \| a lowercase name/,
      /^models\[0\]\.capacityPerReplicaPerS \(line 9\) \| 0 \| a number in \(0, /,
      /^models\[0\]\.leadTime\.loadS \(line 10\) \| -3 \| a number in \[0, 3600\]$/,
      /^models\[0\]\.maxReplicas \(line 12\) \| 2 \| an integer >= minWarmReplicas \(5\)$/,
      /^models\[0\]\.typo \(line 13\) \| 1 \| one of the keys name, .*target, stepS, warmupSpec, historyQuery$/,
      /^models\[0\]\.target\.podSelector \(line 14\) \| undefined \| a label selector/,
      /^models\[2\]\.name \(line 18\) \| "b" \| a name not used before \(models\[1\] has it\)$/,
      /^models\[2\]\.target\.kind \(line 20\) \| "Job" \| one of Deployment, StatefulSet$/,
    ];
    for (const re of expected)
      expect(
        issues.some((i) => re.test(i)),
        `${re} in\n${issues.join('\n')}`,
      ).toBe(true);
    expect(issues).toHaveLength(expected.length);
  });

  it("history: validated by @warmpool/history, a model's historyQuery merged in (PromQL or CSV file), CSV paths made absolute", () => {
    const two = `models:\n  - name: a\n    capacityPerReplicaPerS: 1\n    historyQuery: sum(rate(x{job="a"}[{{step}}]))\n    target: { modelFile: a.onnx }\n  - name: b\n    capacityPerReplicaPerS: 1\n    target: { modelFile: b.onnx }\n`;
    const prom = parseConfigText(
      `history: { kind: prometheus, url: "http://prom:9090", query: 'sum(rate(req{model="{{model}}"}[1m]))', backfillS: 600 }\n${two}`,
      '/etc/w/w.yaml',
    );
    expect(prom.history).toMatchObject({
      kind: 'prometheus',
      backfillS: 600,
      settings: {
        kind: 'prometheus',
        url: 'http://prom:9090',
        models: { a: { query: 'sum(rate(x{job="a"}[{{step}}]))' } },
      },
    });
    const csv = parseConfigText(
      `history: { kind: csv, files: { b: traces/b.csv } }\n${two.replace('sum(rate(x{job="a"}[{{step}}]))', 'traces/a.csv')}`,
      '/etc/w/w.yaml',
    );
    expect(csv.history.settings).toMatchObject({
      kind: 'csv',
      files: { a: '/etc/w/traces/a.csv', b: '/etc/w/traces/b.csv' },
    });
    expect(csv.history.backfillS).toBe(14 * 86400);
    const redis = parseConfigText(`history: { kind: redis }\n${MINIMAL}`, 'w.yaml', {
      REDIS_URL: 'redis://10.1.1.1:6379',
    });
    expect(redis.history.settings).toMatchObject({ kind: 'redis', url: 'redis://10.1.1.1:6379' });
    const bad = issuesOf(() =>
      parseConfigText(
        `history: { kind: prometheus, url: "http://prom:9090", query: q, junk: 1 }\n${two.replace('{{step}}', '{{nope}}')}`,
        'w.yaml',
      ),
    );
    expect(bad).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^models\[0\]\.historyQuery \(line 5\) \| ".*\{\{nope\}\}.*" \| PromQL using only the placeholders \{\{model\}\}, \{\{step\}\}, \{\{stepS\}\} \(unknown: nope\)$/,
        ),
        expect.stringMatching(/^history\.junk \(line 1\) \| 1 \| one of the keys/),
      ]),
    );
    expect(issuesOf(() => parseConfigText(`history: { kind: redis }\n${two}`, 'w.yaml'))).toEqual([
      expect.stringMatching(/^models\[0\]\.historyQuery \(line 5\) \| .* \| only with history\.kind prometheus/),
    ]);
  });

  it('AWS targets are checked by the provider-aws schema, reported under the model key path', () => {
    const text =
      'provider: { kind: aws }\nmodels:\n  - name: a\n    capacityPerReplicaPerS: 1\n    target:\n      groupName: ""\n      warmPool: { minSize: -1, poolState: Frozen }\n';
    const issues = issuesOf(() => parseConfigText(text, 'aws.yaml'));
    expect(issues).toEqual([
      expect.stringMatching(/^models\[0\]\.target\.groupName \(line 6\) \| "" \| an Auto Scaling group name/),
      expect.stringMatching(/^models\[0\]\.target\.warmPool\.minSize \(line 7\) \| -1 \| an integer in \[0, 10000\]$/),
      expect.stringMatching(
        /^models\[0\]\.target\.warmPool\.poolState \(line 7\) \| "Frozen" \| one of Stopped, Running, Hibernated$/,
      ),
    ]);
  });

  it('a model list that is missing or empty, and a root that is not a mapping, are reported', () => {
    expect(issuesOf(() => parseConfigText('tickS: 5\n', 'w.yaml'))).toEqual([
      expect.stringMatching(/^models \| undefined \| a non-empty list of models/),
    ]);
    expect(issuesOf(() => parseConfigText('- 1\n- 2\n', 'w.yaml'))[0]).toMatch(/^\(root\) \| \[1,2\] \| an object/);
  });

  it('YAML syntax errors and duplicate keys name file:line:col', () => {
    expect(() => parseConfigText('a: 1\nb: [1, 2\n', 'syn.yaml')).toThrow(/^syn\.yaml:3:1: /);
    try {
      parseConfigText(`${MINIMAL}tickS: 1\ntickS: 2\n`, 'dup.yaml');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigFileError);
      expect((e as ConfigFileError).problems[0]).toMatch(/^dup\.yaml:6:1: Map keys must be unique/);
    }
  });
});

describe('warmpool config validate', () => {
  it('prints OK and a summary for a good file (exit 0)', async () => {
    const r = await run(['config', 'validate', join(EXAMPLES, 'warmpool.kubernetes.yaml'), '--static']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      /^OK .*warmpool\.kubernetes\.yaml \(the file only: environment checks skipped with --static\)\nprovider kubernetes; history prometheus/,
    );
    expect(r.out).toMatch(
      /llama-8b: p95 <= 800 ms, 12\/s per replica, 1\.\.16 replicas, lead 145 s, step 60 s -> Deployment serving\/llama-8b/,
    );
  });

  it('prints every problem and exits 2 for a bad file, a syntax error, or a missing file', async () => {
    const bad = await run([
      'config',
      'validate',
      file(
        'bad.yaml',
        'tickS: -1\nmodels:\n  - name: X\n    capacityPerReplicaPerS: 1\n    target: { modelFile: a }\n',
      ),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/invalid .*bad\.yaml \(2 problems\)/);
    expect(bad.err).toMatch(/tickS \(line 1\): got -1, allowed: a number in \[0\.01, 3600\]/);
    expect(bad.err).toMatch(/models\[0\]\.name \(line 3\): got "X"/);
    const syn = await run(['config', 'validate', file('syn.yaml', 'models: [\n')]);
    expect(syn.code).toBe(2);
    expect(syn.err).toMatch(/syn\.yaml:\d+:\d+: /);
    const missing = await run(['config', 'validate', join(dir, 'nope.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/nope\.yaml: cannot read the config file \(ENOENT\)/);
    expect((await run(['config', 'check'])).code).toBe(2);
    expect((await run(['config', 'validate'])).code).toBe(2);
  });
});

describe('config validate runs the checks run makes (environment)', () => {
  const local = (extra = '', target = 'target: { modelFile: ./missing.onnx }'): string =>
    file(
      'env.yaml',
      `${extra}models:\n  - name: m\n    capacityPerReplicaPerS: 2\n    warmupSpec: ./nope.json\n    ${target}\n`,
    );

  it('names every environment problem with its key, what was found and what run needs (exit 2)', async () => {
    let out = '';
    await expect(configCommand(['validate', local()], (s) => (out += s), { HOME: dir })).rejects.toThrow(
      ValidationError,
    );
    try {
      await configCommand(['validate', local()], () => undefined, { HOME: dir });
    } catch (e) {
      const issues = issuesOf(() => {
        throw e;
      });
      expect(issues.find((i) => i.startsWith('WARMPOOL_LB_TOKEN (environment)'))).toMatch(
        /"not set" \| the registration token of the load balancer at http:\/\/127\.0\.0\.1:8080 .*provider\.startLoadBalancer: true/,
      );
      expect(issues.find((i) => i.startsWith('models[0].target.modelFile (environment)'))).toMatch(
        /missing\.onnx: ENOENT" \| a readable file/,
      );
      expect(issues.find((i) => i.startsWith('models[0].warmupSpec (environment)'))).toMatch(/nope\.json: ENOENT/);
      expect(issues.find((i) => i.startsWith('provider.loadBalancerUrl (environment)'))).toMatch(
        /127\.0\.0\.1:8080 cannot be reached|127\.0\.0\.1:8080 answers/,
      );
      expect((e as Error).message).toMatch(/the file is valid, but this machine is not ready to run it/);
    }
    expect(out).toBe('');
  });

  it('passes with the token, a real model file and spec; --static skips the machine; kubernetes in-cluster off a pod fails', async () => {
    writeFileSync(join(dir, 'real.onnx'), 'x');
    writeFileSync(join(dir, 'spec.json'), '{}');
    const good = file(
      'good.yaml',
      `provider: { kind: local, startLoadBalancer: true }\nmodels:\n  - name: m\n    capacityPerReplicaPerS: 2\n    warmupSpec: ./spec.json\n    target: { modelFile: ./real.onnx }\n`,
    );
    let out = '';
    expect(await configCommand(['validate', good], (s) => (out += s), { HOME: dir })).toBe(0);
    expect(out).toMatch(/environment checks .*\n(.*\n)*\s+ok\s+models\[0\]\.target\.modelFile: .*real\.onnx/);
    expect(await configCommand(['validate', local(), '--static'], () => undefined, { HOME: dir })).toBe(0);
    const k8s = file(
      'k8s.yaml',
      `provider: { kind: kubernetes, inCluster: true }\nmodels:\n  - { name: m, capacityPerReplicaPerS: 2, target: { namespace: s, kind: Deployment, name: m, podSelector: app=m } }\n`,
    );
    const issues = await configCommand(['validate', k8s], () => undefined, {}).then(
      () => [],
      (e: unknown) =>
        issuesOf(() => {
          throw e;
        }),
    );
    expect(issues).toEqual([
      expect.stringMatching(
        /^provider\.inCluster \(environment\) \| "not in a pod \(no KUBERNETES_SERVICE_HOST\)" \| .*--static/,
      ),
    ]);
  });
});

describe('history queries read each model', () => {
  const prom = (query: string, models = 2, extra = ''): string =>
    `provider: { kind: kubernetes }\nhistory: { kind: prometheus, url: http://p:9090, query: '${query}' }\nmodels:\n` +
    Array.from(
      { length: models },
      (_, i) =>
        `  - { name: m${i}, capacityPerReplicaPerS: 2, ${i === 0 ? extra : ''}target: { namespace: s, kind: Deployment, name: m${i}, podSelector: app=m${i} } }\n`,
    ).join('');

  it('refuses $name placeholders the daemon never fills, naming the key and what to write', () => {
    const issues = issuesOf(() => parseConfigText(prom('sum(rate(x{model="$model"}[1m]))', 1), 'w.yaml'));
    expect(issues).toEqual([
      expect.stringMatching(
        /^history\.query \(line 2\) \| "sum\(rate\(x\{model=\\"\$model\\"\}\[1m\]\)\)" \| PromQL whose placeholders are \{\{model\}\} .*\$model would reach Prometheus as written/,
      ),
    ]);
    expect(
      issuesOf(() =>
        parseConfigText(prom('sum(x{m="{{model}}"})', 2, `historyQuery: 'sum(y{s="\${service}"})', `), 'w.yaml'),
      ),
    ).toEqual([expect.stringMatching(/^models\[0\]\.historyQuery .*\$service/)]);
  });

  it('refuses a query shared by several models without {{model}}; one model, or per-model queries, may omit it', () => {
    expect(issuesOf(() => parseConfigText(prom('sum(rate(x[1m]))'), 'w.yaml'))).toEqual([
      expect.stringMatching(
        /^history\.query .*models m0, m1 share this query, and without \{\{model\}\} every one of them would read the same series/,
      ),
    ]);
    expect(parseConfigText(prom('sum(rate(x[1m]))', 1), 'w.yaml').models).toHaveLength(1);
    expect(parseConfigText(prom('sum(rate(x[1m]))', 2, `historyQuery: 'sum(y)', `), 'w.yaml').models).toHaveLength(2);
    const ok = parseConfigText(
      prom('sum(rate(warmpool_inference_requests_total{model="{{model}}"}[{{step}}]))'),
      'w.yaml',
    );
    expect(ok.history.settings).toMatchObject({
      kind: 'prometheus',
      query: 'sum(rate(warmpool_inference_requests_total{model="{{model}}"}[{{step}}]))',
    });
  });
});

describe('output paths and the local load balancer', () => {
  it('relative output paths go under stateDir (~/ is HOME), else WARMPOOL_STATE_DIR, else the config folder; inputs stay relative to the file', () => {
    const text = `stateDir: ~/state/x\nprovider: { kind: local, runDir: run, startLoadBalancer: true }\ndecisionLog: { file: d.jsonl }\nmodels:\n  - name: m\n    capacityPerReplicaPerS: 2\n    target: { modelFile: ./m.onnx }\n`;
    const c = parseConfigText(text, '/etc/w/w.yaml', { HOME: '/home/u' });
    expect(c.stateDir).toBe('/home/u/state/x');
    expect(c.provider).toMatchObject({ kind: 'local', runDir: '/home/u/state/x/run', startLoadBalancer: true });
    expect(c.decisionLog.file).toBe('/home/u/state/x/d.jsonl');
    expect(c.models[0]!.target).toMatchObject({ local: { modelFile: '/etc/w/m.onnx' } });
    const env = parseConfigText(text.replace('stateDir: ~/state/x\n', ''), '/etc/w/w.yaml', {
      WARMPOOL_STATE_DIR: '/var/lib/wp',
    });
    expect(env.decisionLog.file).toBe('/var/lib/wp/d.jsonl');
    expect(parseConfigText(text.replace('stateDir: ~/state/x\n', ''), '/etc/w/w.yaml', {}).decisionLog.file).toBe(
      '/etc/w/d.jsonl',
    );
    expect(issuesOf(() => parseConfigText(`stateDir: ~bob/x\n${MINIMAL}`, 'w.yaml'))).toEqual([
      expect.stringMatching(/^stateDir \(line 1\) \| "~bob\/x" \| .*absolute, ~\/\.\.\., or relative to this file/),
    ]);
    expect(
      issuesOf(() =>
        parseConfigText(
          `provider: { kind: aws, startLoadBalancer: true }\nmodels:\n  - { name: m, capacityPerReplicaPerS: 2, target: { groupName: g } }\n`,
          'w.yaml',
        ),
      ),
    ).toEqual([expect.stringMatching(/^provider\.startLoadBalancer .*not set for provider\.kind aws/)]);
  });
});
