/**
 * `wtt task cancel <task_id>`: in the daemon, the task's actor is cancelled (a running execution is
 * stopped: its process group is killed) and the hub status becomes cancelled; without a daemon,
 * the hub status is set and the runner's daemon stops its execution when it hears of it.
 */
import { defineCommand } from '../module.js';

export const taskCancel = defineCommand({
  name: 'task cancel',
  section: 'Tasks',
  usage: { args: '<task_id>', summary: 'Cancel a task; a running execution of it here is stopped', aliases: ['stop'] },
  parse: (r) => ({ task_id: r.single('<task_id>') }),
  run: async (args, ctx) => {
    if (ctx.tasks) return ctx.tasks.cancel(args.task_id);
    await ctx.api.updateTask(args.task_id, { status: 'cancelled' });
    return `Task ${args.task_id} cancelled.`;
  },
});
