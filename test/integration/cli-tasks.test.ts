import { describe, expect, it } from 'vitest';
import { useCliWorld, idFrom } from './cli-helpers.js';

describe('cli tasks', () => {
  const w = useCliWorld('alice');

  it('lists no tasks when none exist, under both aliases', async () => {
    expect((await w.wtt(['task', 'list'])).stdout).toBe('No tasks found\n');
    expect((await w.wtt(['task', 'ls', 'status=doing'])).stdout).toBe('No tasks found\n');
  });

  it('creates tasks with fields and shows them in list and detail', async () => {
    const r = await w.wtt(['task', 'create', 'Write report', 'for', 'the', 'board', 'priority=P1', 'exec_mode=plan']);
    expect(r.stdout).toMatch(/^Task created: Write report\nID: \S+\nTopic: \S+\n$/);
    const id = idFrom(r.stdout);
    const n = await w.wtt(['task new "Second one" acceptance="tests pass"']);
    expect(n.stdout).toMatch(/^Task created: Second one\nID: \S+\n/);

    const list = (await w.wtt(['task', 'list'])).stdout;
    expect(list).toContain('Tasks (2):');
    expect(list).toContain(`[O] Write report (P1)\n    ID: ${id} | Status: todo\n    Owner: ${w.agent.agent_id}`);
    expect((await w.wtt(['task', 'ls', 'status=todo', 'limit=1'])).stdout).toContain('Tasks (1):');

    for (const verb of ['detail', 'show', 'info']) {
      const d = (await w.wtt(['task', verb, id])).stdout;
      expect(d).toContain(`[O] Write report (P1)\nID: ${id}\nStatus: todo |`);
      expect(d).toContain('Description: for the board');
    }
  });

  it('moves a task through run, review reject and approve', async () => {
    const id = idFrom((await w.wtt(['task', 'create', 'Lifecycle'])).stdout);
    const bob = await w.other('bob');
    expect((await w.wtt(['task', 'assign', id, bob.agent.agent_id])).stdout).toBe(`Task ${id} assigned to ${bob.agent.agent_id}\n`);
    expect((await w.wtt(['task', 'assign', id])).stdout).toBe(`Task ${id} assigned to ${w.agent.agent_id}\n`);
    expect((await w.wtt(['task', 'run', id])).stdout).toBe(`Task ${id} started (runner: ${w.agent.agent_id})\n`);
    expect((await w.wtt(['task', 'update', id, 'status=review', 'output=first draft'])).stdout).toBe(`Task ${id} updated (status: review)\n`);
    expect((await w.wtt(['task', 'review', id, 'reject', 'needs', 'tests'])).stdout).toBe(`Task ${id}: reject (status: doing)\n`);
    await w.wtt(['task', 'update', id, 'status=review']);
    expect((await w.wtt(['task', 'review', id, 'approve'])).stdout).toBe(`Task ${id}: approve (status: done)\n`);
    const d = (await w.wtt(['task', 'detail', id])).stdout;
    expect(d).toContain('Status: done');
    expect(d).toContain('Output:\nfirst draft');
  });

  it('refuses an unknown review action with exit code 2 and an illegal transition with exit code 1', async () => {
    const id = idFrom((await w.wtt(['task', 'create', 'Strict'])).stdout);
    const bad = await w.wtt(['task', 'review', id, 'lgtm'], 2);
    expect(bad.stderr).toBe("review action must be approve, reject or block, got 'lgtm'\nUsage: wtt task review <task_id> <approve|reject|block> [comment…]\n");
    const illegal = await w.wtt(['task', 'update', id, 'status=done'], 1);
    expect(illegal.stderr).toBe(`Error: cannot move task ${id} from todo to done (HTTP 409)\n`);
    const typo = await w.wtt(['task', 'update', id, 'priority=P9'], 2);
    expect(typo.stderr).toMatch(/^priority: .+\nUsage: wtt task update <task_id> key=value…\n$/);
  });

  it('adds and removes dependencies and shows them in the graph by their real fields', async () => {
    const a = idFrom((await w.wtt(['task', 'create', 'Dep A'])).stdout);
    const b = idFrom((await w.wtt(['task', 'create', 'Dep B'])).stdout);
    expect((await w.wtt(['task', 'deps', 'add', b, a])).stdout).toBe(`Dependency added: ${b} -> ${a}\n`);
    const g = (await w.wtt(['task', 'graph'])).stdout;
    expect(g).toMatch(/^Task DAG: \d+ nodes, 1 edge\n/);
    expect(g).toContain(`  [todo] Dep A (ID: ${a})`);
    expect(g).toContain(`Edges (task -> depends on):\n  ${b} -> ${a}\n`);
    expect((await w.wtt(['task', 'deps', 'remove', b, a])).stdout).toBe(`Dependency removed: ${b} -/-> ${a}\n`);
    expect((await w.wtt(['task', 'graph', 'default'])).stdout).toMatch(/^Task DAG: \d+ nodes, 0 edges\n/);
  });

  it('shows progress per task', async () => {
    const id = idFrom((await w.wtt(['task', 'create', 'Progressing'])).stdout);
    const p = (await w.wtt(['task', 'progress'])).stdout;
    expect(p).toMatch(/^Task Progress:\n\n/);
    expect(p).toMatch(new RegExp(`\\n  ${id}: \\d+%`));
  });

  it('deletes a task under both names so it no longer exists', async () => {
    for (const verb of ['delete', 'rm']) {
      const id = idFrom((await w.wtt(['task', 'create', `Doomed ${verb}`])).stdout);
      expect((await w.wtt(['task', verb, id])).stdout).toBe(`Task ${id} cancelled\n`);
      expect((await w.wtt(['task', 'detail', id], 1)).stderr).toMatch(/^Error: .*not found.*\(HTTP 404\)\n$/);
    }
  });

  it('cancels a task (status cancelled, the task kept) under both names', async () => {
    for (const verb of ['cancel', 'stop']) {
      const id = idFrom((await w.wtt(['task', 'create', `Stopped ${verb}`])).stdout);
      expect((await w.wtt(['task', verb, id])).stdout).toBe(`Task ${id} cancelled.\n`);
      expect((await w.wtt(['task', 'detail', id])).stdout).toMatch(/Status: cancelled/u);
    }
  });
});
