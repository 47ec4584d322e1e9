import { WarmpoolError } from '@warmpool/domain';

export type ModelLoadErrorCode = 'E_MODEL_MISSING' | 'E_MODEL_CORRUPT' | 'E_MODEL_LOAD';

/** A model file that is missing, unreadable or not a model ONNX Runtime can load; names the file. */
export class ModelLoadError extends WarmpoolError {
  readonly file: string;

  constructor(code: ModelLoadErrorCode, file: string, problem: string, options?: { cause?: unknown }) {
    super(code, `model file ${file}: ${problem}`, options);
    this.file = file;
  }
}
