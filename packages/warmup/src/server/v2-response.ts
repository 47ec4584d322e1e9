import type { ServerResponse } from 'node:http';
import type * as ort from 'onnxruntime-node';
import { writeBinary, writeJsonPieces, type JsonPiece } from './response-writer.js';
import { v2Datatype } from './v2-datatypes.js';

/** What of a v2 request shapes its answer: the id echoed, the outputs asked for (and whether binary). */
export interface V2AnswerRequest {
  readonly id: string | undefined;
  readonly outputs: ReadonlyArray<{ readonly name: string; readonly binary: boolean }> | undefined;
  readonly binaryByDefault: boolean;
}

/** Writes a v1 answer `{ model, outputs: { name: { dims, type, data } }, latencyMs }`, arrays a chunk at a time. */
export function writeV1Answer(
  res: ServerResponse,
  name: string,
  outputs: ReadonlyArray<[string, ort.Tensor]>,
  latencyMs: number,
): Promise<void> {
  const pieces: JsonPiece[] = [{ text: `{"model":${JSON.stringify(name)},"outputs":{` }];
  outputs.forEach(([k, t], i) => {
    pieces.push({
      text: `${i > 0 ? ',' : ''}${JSON.stringify(k)}:{"dims":${JSON.stringify(t.dims)},"type":${JSON.stringify(t.type)},"data":`,
    });
    pieces.push({ values: t.data as ArrayLike<number>, bool: t.type === 'bool' });
    pieces.push({ text: '}' });
  });
  pieces.push({ text: `},"latencyMs":${latencyMs}}` });
  return writeJsonPieces(res, 200, pieces);
}

/**
 * Writes a v2 answer: JSON tensors serialized a chunk at a time, or, when any output goes back binary, the binary
 * tensor data extension (JSON header, then the raw bytes).
 */
export async function writeV2Answer(
  res: ServerResponse,
  name: string,
  request: V2AnswerRequest,
  outputs: ReadonlyArray<[string, ort.Tensor]>,
): Promise<void> {
  const byName = new Map(outputs);
  // BYTES (string) outputs always go back as JSON: they have no fixed-size binary form here.
  const binaryOf = (k: string) =>
    (request.outputs?.find((o) => o.name === k)?.binary ?? request.binaryByDefault) &&
    ArrayBuffer.isView(byName.get(k)?.data);
  const head = `{"model_name":${JSON.stringify(name)},"model_version":"1"${request.id !== undefined ? `,"id":${JSON.stringify(request.id)}` : ''},"outputs":[`;
  if (outputs.some(([k]) => binaryOf(k))) {
    const buffers: Buffer[] = [];
    const parts: string[] = [];
    for (const [k, t] of outputs) {
      const meta = `{"name":${JSON.stringify(k)},"datatype":"${v2Datatype(t.type)}","shape":${JSON.stringify(t.dims)}`;
      if (binaryOf(k)) {
        const d = t.data as ArrayBufferView;
        buffers.push(Buffer.from(d.buffer, d.byteOffset, d.byteLength));
        parts.push(`${meta},"parameters":{"binary_data_size":${d.byteLength}}}`);
      } else {
        const values = Array.from(t.data as ArrayLike<number | bigint | string>, (v) =>
          typeof v === 'bigint'
            ? v.toString()
            : typeof v === 'string'
              ? JSON.stringify(v)
              : Number.isFinite(v)
                ? String(v)
                : 'null',
        );
        parts.push(`${meta},"data":[${values.join(',')}]}`);
      }
    }
    return writeBinary(res, 200, `${head}${parts.join(',')}]}`, buffers);
  }
  const pieces: JsonPiece[] = [{ text: head }];
  outputs.forEach(([k, t], i) => {
    pieces.push({
      text: `${i > 0 ? ',' : ''}{"name":${JSON.stringify(k)},"datatype":"${v2Datatype(t.type)}","shape":${JSON.stringify(t.dims)},"data":`,
    });
    pieces.push({ values: t.data as ArrayLike<number>, bool: t.type === 'bool' });
    pieces.push({ text: '}' });
  });
  pieces.push({ text: ']}' });
  return writeJsonPieces(res, 200, pieces);
}
