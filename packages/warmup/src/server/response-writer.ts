import type { ServerResponse } from 'node:http';
import { setImmediate as yieldToLoop } from 'node:timers/promises';

/** Values serialized per chunk: small enough that one chunk takes about a millisecond. */
const CHUNK_VALUES = 8192;

type Values = ArrayLike<number | bigint | string | boolean>;

/** A JSON document built of literal text and numeric arrays serialized later, chunk by chunk. */
export type JsonPiece = { readonly text: string } | { readonly values: Values; readonly bool?: boolean };

function format(v: number | bigint | string | boolean, bool: boolean): string {
  if (typeof v === 'number') return bool ? (v ? 'true' : 'false') : Number.isFinite(v) ? String(v) : 'null';
  if (typeof v === 'bigint') return v.toString();
  return JSON.stringify(v);
}

async function writeChunk(res: ServerResponse, chunk: string | Buffer): Promise<boolean> {
  if (res.destroyed) return false;
  if (!res.write(chunk)) {
    await new Promise<void>((resolve) => {
      const done = () => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.on('drain', done);
      res.on('close', done);
    });
  }
  return !res.destroyed;
}

/**
 * Writes a JSON answer whose large arrays are serialized a chunk at a time, yielding to the event loop between
 * chunks and waiting for the socket to drain: a big response never blocks health checks, and never sits whole in
 * memory as one string. Stops quietly when the client went away.
 */
export async function writeJsonPieces(
  res: ServerResponse,
  status: number,
  pieces: readonly JsonPiece[],
  headers: Record<string, string> = {},
): Promise<void> {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  for (const p of pieces) {
    if ('text' in p) {
      if (!(await writeChunk(res, p.text))) return;
      continue;
    }
    const n = p.values.length;
    if (!(await writeChunk(res, '['))) return;
    for (let start = 0; start < n; start += CHUNK_VALUES) {
      const end = Math.min(n, start + CHUNK_VALUES);
      const parts: string[] = new Array(end - start);
      for (let i = start; i < end; i++) parts[i - start] = format(p.values[i]!, p.bool === true);
      if (!(await writeChunk(res, (start > 0 ? ',' : '') + parts.join(',')))) return;
      if (end < n) await yieldToLoop();
    }
    if (!(await writeChunk(res, ']'))) return;
  }
  res.end();
}

/** Writes a binary-extension answer: the JSON header, then each buffer as it is (no copy, no serialization). */
export async function writeBinary(
  res: ServerResponse,
  status: number,
  header: string,
  buffers: readonly Buffer[],
): Promise<void> {
  const head = Buffer.from(header, 'utf8');
  const total = head.length + buffers.reduce((a, b) => a + b.length, 0);
  res.writeHead(status, {
    'content-type': 'application/octet-stream',
    'content-length': String(total),
    'inference-header-content-length': String(head.length),
  });
  if (!(await writeChunk(res, head))) return;
  for (const b of buffers) if (!(await writeChunk(res, b))) return;
  res.end();
}
