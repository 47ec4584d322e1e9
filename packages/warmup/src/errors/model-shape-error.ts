import { WarmpoolError } from '@warmpool/domain';

/** A warm-up shape or request tensor the model cannot take; names the shape and the input. */
export class ModelShapeError extends WarmpoolError {
  readonly shape: string;

  constructor(shape: string, problem: string, options?: { cause?: unknown }) {
    super('E_MODEL_SHAPE', `shape ${shape}: ${problem}`, options);
    this.shape = shape;
  }
}
