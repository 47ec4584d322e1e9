import { join } from 'node:path';
import { readWarmpoolConfig } from '../config/read-warmpool-config.js';
import type { WarmpoolConfig } from '../config/warmpool-config.js';
import type { ResolvedWorldOptions } from './local-world-options.js';

/** What the world set up before its config: the load balancer, the run folder, the dashboard port, the files. */
export interface LocalWorldPlaces {
  readonly lbUrl: string;
  readonly runDir: string;
  readonly httpPort: number;
  /** The compressed history CSV (`files.<model>` of a `kind: csv` history). */
  readonly historyFile: string;
  /** The warm-up spec the replicas get (`--spec`). */
  readonly specFile: string;
  /** Seconds of history the daemon backfills (the compressed history's length). */
  readonly historyS: number;
}

/**
 * The daemon's config for the local world, validated as a `warmpool.yaml` is: one local model replaying the trace,
 * its replicas `warmpool-agent serve` processes on the CPU, history from the compressed trace.
 */
export function localWorldConfig(o: ResolvedWorldOptions, at: LocalWorldPlaces): WarmpoolConfig {
  const leadGuessS = o.provisionDelayMs / 1000;
  // Until it measures real replicas, the daemon guesses process start + model load + warm-up as half and half.
  const stageGuessS = Math.max(0.5, o.startupS / 2);
  const replicaArgs = [
    '--max-concurrency',
    String(o.replicaMaxConcurrency),
    '--max-queue',
    String(o.replicaMaxQueue),
    ...(o.minServiceMs > 0 ? ['--min-service-ms', String(o.minServiceMs)] : []),
  ];
  return readWarmpoolConfig(
    {
      tickS: o.tickS,
      provider: { kind: 'local', loadBalancerUrl: at.lbUrl, runDir: at.runDir },
      http: { host: '127.0.0.1', port: at.httpPort },
      history: {
        kind: 'csv',
        files: { [o.model]: at.historyFile },
        epochOffsetS: 0,
        backfillS: Math.max(0, at.historyS),
      },
      decisionLog: { format: o.format },
      models: [
        {
          name: o.model,
          capacityPerReplicaPerS: o.capacityPerReplicaPerS,
          latencyTargetP95Ms: o.latencyTargetP95Ms,
          leadTime: { provisionS: leadGuessS, loadS: stageGuessS, warmupS: stageGuessS },
          minWarmReplicas: o.minWarmReplicas,
          maxReplicas: o.maxReplicas,
          horizonS: o.horizonS,
          upperQuantile: o.upperQuantile,
          ...(o.upperQuantileMax !== undefined ? { upperQuantileMax: o.upperQuantileMax } : {}),
          ...(o.releaseQuantile !== undefined ? { releaseQuantile: o.releaseQuantile } : {}),
          scaleDownStabilizationS: o.scaleDownStabilizationS,
          stepS: o.stepS,
          target: {
            modelFile: o.modelSource,
            provisionDelayMs: o.provisionDelayMs,
            args: [
              '--providers',
              'cpu',
              '--spec',
              at.specFile,
              '--opt-cache',
              join(at.runDir, 'opt'),
              '--threads',
              '1',
              ...replicaArgs,
              ...o.agentArgs,
            ],
          },
        },
      ],
    },
    'local world',
    at.runDir,
    {},
  );
}
