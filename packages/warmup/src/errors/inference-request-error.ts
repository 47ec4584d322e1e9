import { WarmpoolError } from '@warmpool/domain';

/**
 * Why one inference request was refused or failed, with the HTTP status it maps to:
 * `E_BAD_REQUEST`, `E_BAD_JSON`, `E_INPUT_TOO_LARGE`, `E_OUTPUT_TOO_LARGE`, `E_INFERENCE_INPUT` (ONNX Runtime refused the values
 * after validation, e.g. a token id outside the vocabulary) 400; `E_DEADLINE` 504; `E_OVERLOADED` (request bodies over the server's budget) 503; `E_WORKER_EXITED` 503;
 * `E_INFERENCE` 500 (the runtime itself failed).
 */
export type InferenceRequestErrorCode =
  | 'E_BAD_REQUEST'
  | 'E_BAD_JSON'
  | 'E_INPUT_TOO_LARGE'
  | 'E_OUTPUT_TOO_LARGE'
  | 'E_INFERENCE_INPUT'
  | 'E_DEADLINE'
  | 'E_OVERLOADED'
  | 'E_WORKER_EXITED'
  | 'E_INFERENCE';

const STATUS: Record<InferenceRequestErrorCode, number> = {
  E_BAD_REQUEST: 400,
  E_BAD_JSON: 400,
  E_INPUT_TOO_LARGE: 400,
  E_OUTPUT_TOO_LARGE: 400,
  E_INFERENCE_INPUT: 400,
  E_DEADLINE: 504,
  E_OVERLOADED: 503,
  E_WORKER_EXITED: 503,
  E_INFERENCE: 500,
};

export class InferenceRequestError extends WarmpoolError {
  readonly status: number;

  constructor(code: InferenceRequestErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.status = STATUS[code];
  }
}
