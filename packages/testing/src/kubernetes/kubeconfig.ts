import { writeFile } from 'node:fs/promises';

export interface KubeconfigOptions {
  readonly server: string;
  readonly namespace?: string;
  readonly token?: string;
  readonly contextName?: string;
}

/**
 * A kubeconfig (YAML) pointing at `server`. Over plain http the cluster needs
 * `insecure-skip-tls-verify: true`, else @kubernetes/client-node refuses to talk to it.
 */
export function kubeconfigYaml(options: KubeconfigOptions): string {
  const ctx = options.contextName ?? 'fake';
  const lines = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${ctx}`,
    '  cluster:',
    `    server: ${JSON.stringify(options.server)}`,
    '    insecure-skip-tls-verify: true',
    'users:',
    `- name: ${ctx}-user`,
    '  user:',
    `    token: ${JSON.stringify(options.token ?? 'fake-token')}`,
    'contexts:',
    `- name: ${ctx}`,
    '  context:',
    `    cluster: ${ctx}`,
    `    user: ${ctx}-user`,
    ...(options.namespace ? [`    namespace: ${JSON.stringify(options.namespace)}`] : []),
    `current-context: ${ctx}`,
    '',
  ];
  return lines.join('\n');
}

/** Writes a kubeconfig for `server` to `path` (mode 0600, like kubectl does). */
export async function writeKubeconfig(path: string, options: KubeconfigOptions): Promise<string> {
  await writeFile(path, kubeconfigYaml(options), { mode: 0o600 });
  return path;
}
