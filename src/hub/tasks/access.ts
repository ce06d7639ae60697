/**
 * Who may see and change a task. The rule (docs/hub.md, "Tasks"): the owner, the runner, the creator
 * and every member of the task topic are the task's participants; they may read it, change it, run,
 * review, assign and delete it. In `legacy` auth mode a call that names no agent and carries no token
 * is the original Python skill (it sends no identity on task calls) and is let through.
 */
import { HubError, type HubCore } from '../core.js';
import type { TaskRecord } from './repo.js';

export { whoIs, whoIsNamed } from '../caller.js';

export function isParticipant(core: HubCore, task: TaskRecord, agentId: string): boolean {
  return (
    task.owner_agent_id === agentId ||
    task.runner_agent_id === agentId ||
    task.created_by === agentId ||
    (task.topic_id !== null && core.topics.isMember(task.topic_id, agentId))
  );
}

/** Undefined caller = anonymous legacy call: sees everything, as the original server did. */
export function canSee(core: HubCore, task: TaskRecord, caller: string | undefined): boolean {
  return caller === undefined || isParticipant(core, task, caller);
}

export function assertParticipant(core: HubCore, task: TaskRecord, caller: string | undefined, doing: string): void {
  if (!canSee(core, task, caller)) {
    throw new HubError(403, `agent ${caller} cannot ${doing} task ${task.id}: only its owner, runner, creator or task-topic members can`);
  }
}
