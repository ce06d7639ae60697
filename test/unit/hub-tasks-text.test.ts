import { describe, expect, it } from 'vitest';
import { taskReviewText, taskRunText } from '../../src/hub/tasks/dispatch-text.js';

const task = {
  id: '0b7c9a8e-1111-4222-8333-444455556666',
  title: 'Write the\nreport',
  description: 'Line one\nLine two',
  exec_mode: 'reasoning',
  task_type: 'feature',
  runner_agent_id: 'agent-aaaaaaaaaaaa',
  pipeline_id: 'pipe-1',
};

/** The `key=value` tokens of the first line, as clients read them. */
const tokens = (text: string) => Object.fromEntries([...(text.split('\n')[0] ?? '').matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]]));

describe('hub tasks dispatch text', () => {
  it('writes a [TASK_RUN] header with task, runner, mode, type and trigger tokens when a task is run by hand', () => {
    const text = taskRunText(task, 'agent-bbbbbbbbbbbb', { kind: 'run' }, 'please\nhurry');
    expect(text).toBe(
      [
        '[TASK_RUN] task_id=0b7c9a8e-1111-4222-8333-444455556666 runner=agent-aaaaaaaaaaaa exec_mode=reasoning type=feature trigger=agent-bbbbbbbbbbbb',
        'title=Write the report',
        'note=please hurry',
        'description=Line one\nLine two',
      ].join('\n'),
    );
    expect(tokens(text)).toMatchObject({ task_id: task.id, runner: task.runner_agent_id });
  });

  it('marks the first wave with "Pipeline auto-start" when a pipeline is executed', () => {
    const text = taskRunText(task, 'agent-bbbbbbbbbbbb', { kind: 'pipeline_start', pipelineId: 'pipe-1' });
    expect(text.split('\n')[0]).toMatch(/ pipeline=pipe-1$/);
    expect(text.split('\n')[1]).toBe('Pipeline auto-start: pipeline pipe-1');
  });

  it('names the finished upstream task with "Upstream completed" when a downstream task is released', () => {
    const text = taskRunText(task, 'pipeline', {
      kind: 'upstream',
      pipelineId: 'pipe-1',
      upstreamId: 'up-1',
      upstreamTitle: 'Collect\ndata',
      upstreamStatus: 'done',
    });
    expect(text.split('\n')[1]).toBe('Upstream completed: Collect data (up-1, done)');
    expect(tokens(text).task_id).toBe(task.id);
  });

  it('leaves out empty tokens when the task has no runner, mode or type', () => {
    const text = taskRunText({ id: 't1', title: 'x' }, null, { kind: 'run' });
    expect(text).toBe('[TASK_RUN] task_id=t1\ntitle=x\ndescription=');
  });

  it('writes a [TASK_REVIEW] with the action, reviewer and a comment that runs to the end when a task is reviewed', () => {
    const text = taskReviewText(task, 'reject', 'agent-cccccccccccc', 'Missing numbers.\nAdd a table.');
    expect(text).toBe(
      [
        '[TASK_REVIEW] action=reject task_id=0b7c9a8e-1111-4222-8333-444455556666 by=agent-cccccccccccc exec_mode=reasoning type=feature',
        'title=Write the report',
        'description=Line one Line two',
        'comment=Missing numbers.\nAdd a table.',
      ].join('\n'),
    );
  });
});
