/** Exit codes of the `warmpool-agent` bin (the README's list). */
export const ExitCode = { Ok: 0, NotReady: 1, BadInput: 2, RegistrationFailed: 3 } as const;

/** Failures that are the input's (arguments, model file, spec, a shape the model cannot take): exit 2. */
export const BAD_INPUT_CODES: ReadonlySet<string> = new Set([
  'E_MODEL_MISSING',
  'E_MODEL_CORRUPT',
  'E_MODEL_LOAD',
  'E_MODEL_SHAPE',
  'E_VALIDATION',
  'E_WARMUP_SPEC',
]);
