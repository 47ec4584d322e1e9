import type { Feeds } from '../session/feed-builder.js';
import { DATATYPE_BY_ORT } from './v2-datatypes.js';

/** The encodings a client may send, in the order the request-path warm sends them. */
export const WARM_ENCODINGS = ['v1-json', 'v2-json', 'v2-binary'] as const;
export type WarmEncoding = (typeof WARM_ENCODINGS)[number];

/** What the request-path warm did with one encoding: the input sets it warmed, and those it skipped with why. */
export interface EncodingWarm {
  readonly encoding: WarmEncoding;
  /** Labels of the input sets (warm targets) warmed in this encoding. */
  readonly warmed: readonly string[];
  /** Input sets a client could not send in this encoding (`fp16 has no JSON form`, `body 24.1 MB over ...`). */
  readonly skipped: ReadonlyArray<{ readonly target: string; readonly reason: string }>;
}

/**
 * Why a client could not send `feeds` in `encoding` to a server taking bodies of at most `maxBodyBytes`, or
 * undefined when it can. KServe v2 JSON has no FP16 form (Triton takes FP16 only as binary tensor data), so float16
 * inputs skip v2 JSON; v1 JSON takes float16 as numbers. A body over the server's limit would get 413.
 */
export function encodingSkipReason(
  encoding: WarmEncoding,
  feeds: Feeds,
  bodyBytes: number,
  maxBodyBytes: number | undefined,
): string | undefined {
  if (encoding === 'v2-json') {
    const noJson = Object.entries(feeds).filter(([, t]) => {
      const d = DATATYPE_BY_ORT.get(t.type);
      return d !== undefined && d.json === undefined;
    });
    if (noJson.length > 0) {
      const types = [...new Set(noJson.map(([, t]) => DATATYPE_BY_ORT.get(t.type)!.v2.toLowerCase()))];
      return `${types.join(', ')} has no JSON form (input ${noJson.map(([k]) => k).join(', ')}; binary only)`;
    }
  }
  if (maxBodyBytes !== undefined && bodyBytes > maxBodyBytes)
    return `body ${formatBodyBytes(bodyBytes)} over max-body-bytes ${formatLimitBytes(maxBodyBytes)}`;
  return undefined;
}

/** 24.1 MB, 5.2 kB, 812 bytes (decimal units, one decimal). */
export function formatBodyBytes(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} bytes`;
}

/** 16 MiB, 4 KiB where exact, else bytes (how a limit is usually set). */
export function formatLimitBytes(n: number): string {
  if (n >= 2 ** 20 && n % 2 ** 20 === 0) return `${n / 2 ** 20} MiB`;
  if (n >= 2 ** 10 && n % 2 ** 10 === 0) return `${n / 2 ** 10} KiB`;
  return `${n} bytes`;
}
