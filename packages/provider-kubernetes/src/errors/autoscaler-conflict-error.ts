import { WarmpoolError } from '@warmpool/domain';
import { describeObject, type KubeObjectRef } from './kubernetes-api-error.js';

/**
 * Another autoscaler (an HPA, a KEDA ScaledObject) targets the workload warmpool was asked to scale: two
 * autoscalers on one workload undo each other's work, so warmpool refuses. Not retryable: it lasts until the other
 * object is removed or the model's `mode` is `advise`.
 */
export class AutoscalerConflictError extends WarmpoolError {
  readonly model: string;
  readonly workload: KubeObjectRef;
  /** The HPAs and ScaledObjects that target it. */
  readonly owners: readonly KubeObjectRef[];
  readonly retryable = false;

  constructor(model: string, workload: KubeObjectRef, owners: readonly KubeObjectRef[]) {
    const others = owners.map(describeObject).join(' and ');
    super(
      'E_AUTOSCALER_CONFLICT',
      `refusing to scale ${describeObject(workload)} for model "${model}": ${others} also ${owners.length === 1 ? 'scales' : 'scale'} it, and two autoscalers on one workload undo each other; ` +
        `remove ${owners.length === 1 ? 'it' : 'them'}, or set mode: advise on the model (warmpool then only advises, e.g. through KEDA's external scaler)`,
    );
    this.model = model;
    this.workload = workload;
    this.owners = owners;
  }
}
