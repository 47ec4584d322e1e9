import onnxProto from 'onnx-proto';
import { toHalfBits } from '../session/half-float.js';

const { onnx } = onnxProto;

type Attr = number | number[] | string;

/** Element types the generated models declare on their inputs and outputs. */
export type ElemType = 'int64' | 'float32' | 'float16' | 'int32' | 'bool';

const ELEM_TYPES: Readonly<Record<ElemType, number>> = {
  int64: onnx.TensorProto.DataType.INT64,
  float32: onnx.TensorProto.DataType.FLOAT,
  float16: onnx.TensorProto.DataType.FLOAT16,
  int32: onnx.TensorProto.DataType.INT32,
  bool: onnx.TensorProto.DataType.BOOL,
};

/** Builds an ONNX graph node by node; `build()` returns the serialized ModelProto bytes. */
export class OnnxGraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private counter = 0;

  constructor(
    private readonly graphName: string,
    private readonly opsetVersion: number,
  ) {}

  /** A fresh value name with a readable prefix. */
  name(prefix: string): string {
    this.counter += 1;
    return `${prefix}_${this.counter}`;
  }

  /** Dims: a number is fixed, a string a named dynamic dimension, `null` an unnamed dynamic one. */
  input(name: string, elemType: ElemType, dims: Array<number | string | null>): string {
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  output(name: string, elemType: ElemType, dims: Array<number | string | null>): void {
    this.outputs.push(valueInfo(name, elemType, dims));
  }

  floatTensor(name: string, dims: number[], values: Float32Array): string {
    const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    this.initializers.push({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: bytes.slice() });
    return name;
  }

  /** A float16 initializer from float values (rounded to half precision). */
  halfTensor(name: string, dims: number[], values: Float32Array): string {
    const bits = Uint16Array.from(values, (v) => toHalfBits(v));
    this.initializers.push({
      name,
      dims,
      dataType: onnx.TensorProto.DataType.FLOAT16,
      rawData: new Uint8Array(bits.buffer),
    });
    return name;
  }

  int64Tensor(name: string, values: number[]): string {
    const buf = new BigInt64Array(values.map((v) => BigInt(v)));
    this.initializers.push({
      name,
      dims: [values.length],
      dataType: onnx.TensorProto.DataType.INT64,
      rawData: new Uint8Array(buf.buffer),
    });
    return name;
  }

  /** Adds a node and returns its (single) output name. */
  node(opType: string, inputs: string[], attrs: Record<string, Attr> = {}, outputName?: string): string {
    const out = outputName ?? this.name(opType.toLowerCase());
    this.nodes.push({
      opType,
      input: inputs,
      output: [out],
      name: this.name(`n_${opType}`),
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return out;
  }

  /** Adds a node with several outputs (e.g. LSTM's Y, Y_h, Y_c); '' skips an optional output. */
  nodeMulti(opType: string, inputs: string[], outputs: string[], attrs: Record<string, Attr> = {}): string[] {
    this.nodes.push({
      opType,
      input: inputs,
      output: outputs,
      name: this.name(`n_${opType}`),
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return outputs;
  }

  build(producer: string): Uint8Array {
    const model: onnxProto.onnx.IModelProto = {
      irVersion: 8,
      producerName: producer,
      opsetImport: [{ domain: '', version: this.opsetVersion }],
      graph: {
        name: this.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    };
    return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
  }
}

function valueInfo(name: string, elemType: ElemType, dims: Array<number | string | null>): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ELEM_TYPES[elemType],
        shape: { dim: dims.map((d) => (d === null ? {} : typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

function attribute(name: string, value: Attr): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: T.INTS, ints: value };
  if (Number.isInteger(value)) return { name, type: T.INT, i: value };
  return { name, type: T.FLOAT, f: value };
}

