/** A representative request shape: batch size x sequence length. */
export interface InputShape {
  readonly batch: number;
  readonly seq: number;
}

export function shapeLabel(s: InputShape): string {
  return `${s.batch}x${s.seq}`;
}

/** Elements in a shape (batch x seq): the "size" used to find the largest shape. */
export function shapeElements(s: InputShape): number {
  return s.batch * s.seq;
}
