import { WarmpoolError } from '@warmpool/domain';

/** A model the provider has no target for. */
export class UnknownModelError extends WarmpoolError {
  readonly model: string;

  constructor(model: string, known: readonly string[]) {
    super(
      'E_UNKNOWN_MODEL',
      `no Kubernetes target configured for model "${model}" (configured: ${known.length ? known.join(', ') : 'none'})`,
    );
    this.model = model;
  }
}
