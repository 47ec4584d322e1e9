import { AwsFault } from './aws-fault.js';
import type { FakeLifecycleAction, LifecycleTransition } from './world-types.js';

/** The open lifecycle actions of the fake, by token (tokens are deterministic UUID-shaped strings). */
export class LifecycleActionBook {
  private readonly actions = new Map<string, FakeLifecycleAction>();
  private tokenSeq = 0;

  open(
    groupName: string,
    hookName: string,
    instanceId: string,
    transition: LifecycleTransition,
    nowMs: number,
  ): FakeLifecycleAction {
    this.tokenSeq++;
    const token = `c0ffee00-0000-4000-8000-${this.tokenSeq.toString(16).padStart(12, '0')}`;
    const action: FakeLifecycleAction = {
      token,
      groupName,
      hookName,
      instanceId,
      transition,
      startedAtMs: nowMs,
      lastHeartbeatAtMs: nowMs,
    };
    this.actions.set(token, action);
    return action;
  }

  list(): FakeLifecycleAction[] {
    return [...this.actions.values()];
  }

  close(token: string): void {
    this.actions.delete(token);
  }

  drop(match: (a: FakeLifecycleAction) => boolean): void {
    for (const [token, a] of this.actions) if (match(a)) this.actions.delete(token);
  }

  /** The open action for (group, hook) and a token or an instance id, or AWS's ValidationError. */
  find(
    groupName: string,
    hookName: string,
    token: string | undefined,
    instanceId: string | undefined,
  ): FakeLifecycleAction {
    if (token === undefined && instanceId === undefined) {
      throw AwsFault.validation('Either LifecycleActionToken or InstanceId must be specified.');
    }
    for (const a of this.actions.values()) {
      if (a.groupName !== groupName || a.hookName !== hookName) continue;
      if (token !== undefined ? a.token === token : a.instanceId === instanceId) return a;
    }
    throw AwsFault.validation(
      token !== undefined
        ? `No active Lifecycle Action found with token ${token}`
        : `No active Lifecycle Action found with instance ID ${instanceId}`,
    );
  }
}
