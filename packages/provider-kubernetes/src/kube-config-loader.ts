import { KubeConfig } from '@kubernetes/client-node';
import { WarmpoolError } from '@warmpool/domain';

export interface KubeConfigSource {
  /** Kubeconfig text (YAML). */
  readonly kubeconfigYaml?: string;
  /** Path of a kubeconfig file. */
  readonly kubeconfigPath?: string;
  /** Use the pod's service account (KUBERNETES_SERVICE_HOST/PORT and the mounted token). */
  readonly inCluster?: boolean;
}

/** Builds a KubeConfig from exactly one source; a bad kubeconfig is a typed error naming the source. */
export function loadKubeConfig(source: KubeConfigSource): KubeConfig {
  const kc = new KubeConfig();
  const where =
    source.kubeconfigPath ??
    (source.kubeconfigYaml !== undefined
      ? 'kubeconfig text'
      : source.inCluster
        ? 'in-cluster service account'
        : 'default kubeconfig');
  try {
    if (source.kubeconfigYaml !== undefined) kc.loadFromString(source.kubeconfigYaml);
    else if (source.kubeconfigPath !== undefined) kc.loadFromFile(source.kubeconfigPath);
    else if (source.inCluster) kc.loadFromCluster();
    else kc.loadFromDefault();
  } catch (err) {
    throw new WarmpoolError(
      'E_K8S_CONFIG',
      `cannot load Kubernetes config from ${where}: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  if (!kc.getCurrentCluster()) {
    throw new WarmpoolError(
      'E_K8S_CONFIG',
      `Kubernetes config from ${where} has no current cluster (check current-context)`,
    );
  }
  return kc;
}
