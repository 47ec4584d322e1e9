// The model server's health answers name the replica id it answers for, so a load balancer can tell it from another
// replica that later took the same port. No model is loaded: health answers before (and without) warm-up.
import { afterEach, describe, expect, it } from 'vitest';
import { ModelReplica } from '../src/replica/model-replica.js';
import { ModelServer, REPLICA_ID_HEADER } from '../src/server/model-server.js';
import { WARMUP_SPEC_DEFAULTS } from '../src/warmup/warmup-spec.js';

const servers: ModelServer[] = [];
afterEach(async () => {
  while (servers.length) await servers.pop()!.close();
});

async function serverFor(replicaId: string | undefined): Promise<string> {
  const replica = new ModelReplica({ name: 'm', modelPath: '/nonexistent.onnx', spec: WARMUP_SPEC_DEFAULTS });
  const server = new ModelServer({ replicas: [replica], replicaId });
  servers.push(server);
  return (await server.listen()).url;
}

describe('replica id on health answers', () => {
  it('carries the id as a header and a JSON field on /v2/health/ready and its /readyz alias', async () => {
    const url = await serverFor('m-1234');
    for (const path of ['/v2/health/ready', '/readyz']) {
      const res = await fetch(`${url}${path}`);
      expect(res.status).toBe(503); // not started
      expect(res.headers.get(REPLICA_ID_HEADER)).toBe('m-1234');
      expect(((await res.json()) as { replicaId?: string }).replicaId).toBe('m-1234');
    }
    expect((await fetch(`${url}/v2/health/live`)).headers.get(REPLICA_ID_HEADER)).toBe('m-1234');
  });

  it('without an id the answers name none; an id that is no header value is in the JSON only', async () => {
    const none = await fetch(`${await serverFor(undefined)}/v2/health/ready`);
    expect(none.headers.get(REPLICA_ID_HEADER)).toBeNull();
    expect(((await none.json()) as { replicaId?: string }).replicaId).toBeUndefined();
    const odd = await fetch(`${await serverFor('r\u00e9plica 1')}/v2/health/ready`);
    expect(odd.headers.get(REPLICA_ID_HEADER)).toBeNull();
    expect(((await odd.json()) as { replicaId?: string }).replicaId).toBe('r\u00e9plica 1');
  });
});
