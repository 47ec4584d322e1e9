import { afterEach, describe, expect, it } from 'vitest';
import { ValidationError } from '@warmpool/domain';
import { ManualClock } from '@warmpool/queue';
import { parseConfigText } from '../src/config/load-config-file.js';
import { buildDaemon } from '../src/daemon/build-daemon.js';
import { DecisionLog } from '../src/daemon/decision-log.js';
import { DaemonHttpServer } from '../src/http/daemon-http-server.js';
import { BASE_YAML, FunctionHistory, MemorySink, T0, harness, perSecondFrom } from './support/daemon-harness.js';
import { StagedProvider } from './support/staged-provider.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

interface State {
  models: {
    model: string;
    sla: { capacityPerReplicaPerS: number } | null;
    points: {
      atS: number;
      observedPerS: number | null;
      forecastUpperPerS: number | null;
      readyReplicas: number;
      warmingReplicas: number;
    }[];
    decisions: { action: string; reasons: string[] }[];
  }[];
}

const modelOf = (s: State, name: string): State['models'][number] | undefined => s.models.find((m) => m.model === name);

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

describe('http: config keys', () => {
  it('absent or false: no server; true: 127.0.0.1:9464; a mapping: host and port', () => {
    expect(parseConfigText(BASE_YAML, '/tmp/w.yaml').http).toBeUndefined();
    expect(parseConfigText(`${BASE_YAML}http: false\n`, '/tmp/w.yaml').http).toBeUndefined();
    expect(parseConfigText(`${BASE_YAML}http: true\n`, '/tmp/w.yaml').http).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseConfigText(`${BASE_YAML}http: { port: 0 }\n`, '/tmp/w.yaml').http).toEqual({
      host: '127.0.0.1',
      port: 0,
    });
    expect(parseConfigText(`${BASE_YAML}http: { host: 0.0.0.0, port: 9000 }\n`, '/tmp/w.yaml').http).toEqual({
      host: '0.0.0.0',
      port: 9000,
    });
  });

  it('bad values are named with key, value and what is allowed, all at once', () => {
    let err: unknown;
    try {
      parseConfigText(`${BASE_YAML}http: { host: 'not a host!', port: 70000, tls: true }\n`, '/tmp/w.yaml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    const issues = (err as ValidationError).issues;
    expect(issues.map((i) => i.path.replace(/ \(line \d+\)$/, '')).sort()).toEqual([
      'http.host',
      'http.port',
      'http.tls',
    ]);
    const port = issues.find((i) => i.path.startsWith('http.port'))!;
    expect(port.value).toBe(70000);
    expect(port.allowed).toMatch(/65535/);
    expect(() => parseConfigText(`${BASE_YAML}http: 9464\n`, '/tmp/w.yaml')).toThrow(/http: got 9464|http/);
  });
});

describe('the daemon HTTP server', () => {
  it('serves the dashboard state, /healthz and /metrics from the decision log after a few ManualClock ticks', async () => {
    const clock = new ManualClock(T0);
    const http = new DaemonHttpServer({ host: '127.0.0.1', port: 0 });
    const sink = new MemorySink();
    const rate = (m: string, s: number): number => (m === 'a' ? (s * 1000 >= T0 + 3_000 ? 60 : 5) : 2);
    const h = harness({
      clock,
      provider: new StagedProvider({ a: 1, b: 1 }, () => clock.now()),
      history: new FunctionHistory((m) => (m === 'a' ? 5 : 2)),
      perSecond: perSecondFrom(clock, rate),
      deps: { http, log: new DecisionLog([sink, http.sink]) },
    });
    closers.push(() => h.daemon.stop());
    await h.daemon.start();
    expect(h.daemon.httpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    for (let i = 0; i < 6; i++) await h.step(1000);
    const url = h.daemon.httpUrl!;

    const state = await getJson<State>(`${url}/ui/api/state`);
    expect(state.models.map((m) => m.model).sort()).toEqual(['a', 'b']);
    const a = modelOf(state, 'a')!;
    expect(a.sla?.capacityPerReplicaPerS).toBe(10);
    expect(a.points.length).toBe(sink.decisions('a').length);
    expect(a.points.at(-1)!.atS).toBe(Date.parse(sink.decisions('a').at(-1)!.time) / 1000);
    expect(a.points.at(-1)!.observedPerS).toBe(60);
    expect(a.points.at(-1)!.forecastUpperPerS).not.toBeNull();
    const ups = sink.decisions('a').filter((d) => d.action === 'scale-up');
    expect(ups.length).toBeGreaterThan(0);
    expect(a.decisions.map((d) => d.action)).toEqual(
      sink
        .decisions('a')
        .filter((d) => d.action !== 'hold')
        .map((d) => d.action),
    );
    expect(a.points.some((p) => p.warmingReplicas > 0)).toBe(true);

    expect(await getJson<{ status: string }>(`${url}/healthz`)).toMatchObject({ status: 'ok' });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain('# TYPE warmpool_decisions_total counter');
    expect(metrics).toContain(
      `warmpool_decisions_total{model="a",action="scale-up",acted="enqueued"} ${ups.filter((d) => d.acted === 'enqueued').length}`,
    );
    const page = await fetch(`${url}/ui/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
    expect((await fetch(`${url}/nope`)).status).toBe(404);

    await h.daemon.stop();
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });

  it('buildDaemon wires `http:` from the config; a port in use is logged and the daemon runs without it', async () => {
    const clock = new ManualClock(T0);
    const yaml = `tickS: 1
provider: { kind: local, loadBalancerUrl: 'http://127.0.0.1:9' }
http: { host: 127.0.0.1, port: 0 }
models:
  - { name: a, capacityPerReplicaPerS: 10, stepS: 1, target: { modelFile: tiny-transformer } }
`;
    const cfg = parseConfigText(yaml, '/tmp/w.yaml');
    const out: string[] = [];
    const stdout = {
      isTTY: false,
      write: (s: string) => {
        out.push(s);
        return true;
      },
    } as never;
    const daemon = buildDaemon({
      config: cfg,
      clock,
      stdout,
      createLocalProvider: () => new StagedProvider({ a: 1 }, () => clock.now()),
    });
    closers.push(() => daemon.stop());
    await daemon.start();
    await clock.advanceBy(1000);
    await daemon.idle();
    const url = daemon.httpUrl!;
    const state = await getJson<State>(`${url}/ui/api/state`);
    expect(modelOf(state, 'a')!.points.length).toBeGreaterThan(0);
    expect(out.join('')).toContain('"event":"http-listening"');

    // A second daemon on the same port: reported, not fatal.
    const port = Number(new URL(url).port);
    const cfg2 = parseConfigText(yaml.replace('port: 0', `port: ${port}`), '/tmp/w2.yaml');
    const out2: string[] = [];
    const d2 = buildDaemon({
      config: cfg2,
      clock,
      stdout: {
        isTTY: false,
        write: (s: string) => {
          out2.push(s);
          return true;
        },
      } as never,
      createLocalProvider: () => new StagedProvider({ a: 1 }, () => clock.now()),
    });
    closers.push(() => d2.stop());
    await d2.start();
    expect(out2.join('')).toContain('"event":"http-failed"');
    expect(d2.httpUrl).toBeUndefined();
    await clock.advanceBy(1000);
    await d2.idle();
    expect(d2.ticks).toBeGreaterThan(0);
  });
});
