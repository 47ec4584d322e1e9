/** A local replica's event (from @warmpool/provider-local) as a daemon record's fields: its name, a sentence, the rest as detail. */
export function describeReplicaEvent(e: Readonly<Record<string, unknown>>): {
  model?: string;
  event: string;
  message: string;
  detail: Record<string, unknown>;
} {
  const { event: rawEvent, model, atMs: _atMs, ...detail } = e;
  const event = typeof rawEvent === 'string' && rawEvent !== '' ? rawEvent : 'replica-event';
  const id = typeof detail['replicaId'] === 'string' ? detail['replicaId'] : 'a replica';
  const reason = typeof detail['reason'] === 'string' && detail['reason'] !== '' ? `: ${detail['reason']}` : '';
  let message: string;
  switch (event) {
    case 'replica-requested':
      message = `${id} requested${typeof detail['provisionDelayMs'] === 'number' && detail['provisionDelayMs'] > 0 ? ` (provisioning ${detail['provisionDelayMs']} ms)` : ''}`;
      break;
    case 'replica-spawned':
      message = `${id} agent started (pid ${String(detail['pid'])}, port ${String(detail['port'])})`;
      break;
    case 'replica-phase':
      message = `${id} ${String(detail['phase'])}${reason}`;
      break;
    case 'replica-ended': {
      const how = detail['signal']
        ? `signal ${String(detail['signal'])}`
        : detail['exitCode'] !== undefined && detail['exitCode'] !== null
          ? `exit ${String(detail['exitCode'])}`
          : 'ended';
      message = `${id} ended in ${String(detail['phase'])} (${how})${reason}`;
      break;
    }
    case 'replica-kill':
      message = `${id} killed${reason}`;
      break;
    case 'log-write-failed':
      message = `${id}: could not write ${String(detail['file'])}${typeof detail['error'] === 'string' ? `: ${detail['error']}` : ''}`;
      break;
    default:
      message = `${id} ${event}${reason}`;
  }
  return { ...(typeof model === 'string' ? { model } : {}), event, message, detail };
}
