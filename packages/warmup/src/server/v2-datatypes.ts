/** One element type: its ONNX Runtime name, its Open Inference Protocol v2 name and bytes per element. */
export interface V2Datatype {
  readonly ort: string;
  readonly v2: string;
  readonly bytes: number;
  /** A typed array of n elements for ONNX Runtime (bool as Uint8Array). */
  readonly make: (n: number) => ArrayBufferView & { length: number; [i: number]: number | bigint };
  /** JSON values: 'float' | 'int' | 'bigint' | 'bool'; undefined: binary data only. */
  readonly json: 'float' | 'int' | 'bigint' | 'bool' | undefined;
}

type Arr = ArrayBufferView & { length: number; [i: number]: number | bigint };

const TYPES: readonly V2Datatype[] = [
  { ort: 'float32', v2: 'FP32', bytes: 4, make: (n) => new Float32Array(n) as Arr, json: 'float' },
  { ort: 'float64', v2: 'FP64', bytes: 8, make: (n) => new Float64Array(n) as Arr, json: 'float' },
  { ort: 'float16', v2: 'FP16', bytes: 2, make: (n) => new Uint16Array(n) as Arr, json: undefined },
  { ort: 'int8', v2: 'INT8', bytes: 1, make: (n) => new Int8Array(n) as Arr, json: 'int' },
  { ort: 'int16', v2: 'INT16', bytes: 2, make: (n) => new Int16Array(n) as Arr, json: 'int' },
  { ort: 'int32', v2: 'INT32', bytes: 4, make: (n) => new Int32Array(n) as Arr, json: 'int' },
  { ort: 'int64', v2: 'INT64', bytes: 8, make: (n) => new BigInt64Array(n) as unknown as Arr, json: 'bigint' },
  { ort: 'uint8', v2: 'UINT8', bytes: 1, make: (n) => new Uint8Array(n) as Arr, json: 'int' },
  { ort: 'uint16', v2: 'UINT16', bytes: 2, make: (n) => new Uint16Array(n) as Arr, json: 'int' },
  { ort: 'uint32', v2: 'UINT32', bytes: 4, make: (n) => new Uint32Array(n) as Arr, json: 'int' },
  { ort: 'uint64', v2: 'UINT64', bytes: 8, make: (n) => new BigUint64Array(n) as unknown as Arr, json: 'bigint' },
  { ort: 'bool', v2: 'BOOL', bytes: 1, make: (n) => new Uint8Array(n) as Arr, json: 'bool' },
];

export const DATATYPE_BY_ORT: ReadonlyMap<string, V2Datatype> = new Map(TYPES.map((t) => [t.ort, t]));
export const DATATYPE_BY_V2: ReadonlyMap<string, V2Datatype> = new Map(TYPES.map((t) => [t.v2, t]));

/** The v2 name of an ONNX Runtime element type (`string` is BYTES; unknown types upper-cased). */
export function v2Datatype(ortType: string): string {
  return DATATYPE_BY_ORT.get(ortType)?.v2 ?? (ortType === 'string' ? 'BYTES' : ortType.toUpperCase());
}
