import type { FieldReader } from '@warmpool/domain';

/** `kedaScaler:` in warmpool.yaml — the gRPC server of KEDA's external scaler interface; absent: none. */
export interface KedaScalerConfig {
  /** Address to bind; default 0.0.0.0 (KEDA's operator calls it over the cluster network). */
  readonly host: string;
  /** TCP port; default 9465; 0 lets the OS pick. */
  readonly port: number;
  /** At most this many open StreamIsActive streams (`external-push` ScaledObjects); more are refused. Default 64. */
  readonly maxStreams: number;
}

export const KEDA_SCALER_KEYS = ['host', 'port', 'maxStreams'] as const;
const HOST = /^[A-Za-z0-9.:[\]-]+$/;

/** Reads `kedaScaler:` (absent or false: undefined; true: the defaults; a mapping: `{ host, port, maxStreams }`). */
export function readKedaScalerConfig(r: FieldReader): KedaScalerConfig | undefined {
  const raw = r.raw('kedaScaler');
  if (raw === undefined || raw === false || raw === null) return undefined;
  if (raw === true) return { host: '0.0.0.0', port: 9465, maxStreams: 64 };
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    r.issues.push({
      path: r.path('kedaScaler'),
      value: raw,
      allowed: 'true, false, or a mapping { host, port, maxStreams }',
    });
    return undefined;
  }
  const k = r.child('kedaScaler');
  k.rejectUnknown(KEDA_SCALER_KEYS);
  return {
    host: k.string('host', {
      default: '0.0.0.0',
      pattern: HOST,
      patternText: 'an IP address or host name to bind, such as 0.0.0.0 (all interfaces) or 127.0.0.1',
    }),
    port: k.number('port', { default: 9465, min: 0, max: 65535, integer: true }),
    maxStreams: k.number('maxStreams', { default: 64, min: 1, max: 10000, integer: true }),
  };
}
