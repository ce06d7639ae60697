import { describe, expect, it } from 'vitest';
import { useCliWorld, idFrom } from './cli-helpers.js';

describe('cli pipelines', () => {
  const w = useCliWorld('alice');

  it('lists the default pipeline and creates others under both aliases', async () => {
    for (const verb of ['pipeline', 'pipe']) {
      const list = (await w.wtt([verb, 'list'])).stdout;
      expect(list).toMatch(/^Pipelines \(\d+\):\n\n {2}\S.*\n {4}ID: default \| Tasks: \d+/);
    }
    const a = await w.wtt(['pipeline', 'create', 'Release', 'the', 'weekly', 'release']);
    expect(a.stdout).toMatch(/^Pipeline created: Release\nID: \S+\n$/);
    const b = await w.wtt(['pipe', 'new', 'Research']);
    expect(b.stdout).toMatch(/^Pipeline created: Research\nID: \S+\n$/);
    const ls = (await w.wtt(['pipeline', 'ls'])).stdout;
    expect(ls).toContain(`  Release\n    ID: ${idFrom(a.stdout)} | Tasks: 0`);
    expect(ls).toContain(`  Research\n    ID: ${idFrom(b.stdout)} | Tasks: 0`);
  });

  it('adds chained stages, runs the first and shows the stage table', async () => {
    const pid = idFrom((await w.wtt(['pipeline', 'create', 'Chain'])).stdout);
    expect((await w.wtt(['pipeline', 'status', pid])).stdout).toBe(
      `Pipeline Chain (${pid}): no tasks yet (add stages: wtt pipeline add ${pid} "<stage title>" …)\n`,
    );
    const added = (await w.wtt(['pipeline', 'add', pid, 'Analysis', 'Design work'])).stdout;
    expect(added).toMatch(/^Pipeline \S+: added 2 stages\n {2}1\. Analysis \(ID: \S+\)\n {2}2\. Design work \(ID: \S+\) after stage 1\n$/);
    const more = (await w.wtt(['pipeline add Chain "Build it"'])).stdout;
    const firstTwo = [...added.matchAll(/\(ID: (\S+)\)/g)].map((m) => m[1]);
    expect(more).toMatch(new RegExp(`^Pipeline ${pid}: added 1 stage\\n  1\\. Build it \\(ID: \\S+\\) after ${firstTwo[1]}\\n$`));

    const graph = (await w.wtt(['task', 'graph', pid])).stdout;
    expect(graph).toMatch(/^Task DAG: 3 nodes, 2 edges\n/);

    expect((await w.wtt(['pipeline', 'run', pid])).stdout).toBe(`Pipeline ${pid} execution started: 1 task dispatched\n`);
    const status = (await w.wtt(['pipeline', 'status', pid])).stdout;
    const lines = status.split('\n');
    expect(lines[0]).toBe(`Pipeline Chain (${pid}): 3 tasks, 0 done (todo 2, doing 1)`);
    expect(lines[2]).toMatch(/^#\s+Stage\s+Status\s+Progress\s+Task\s+After\s+ID$/);
    expect(lines[3]).toMatch(new RegExp(`^1\\s+1\\s+\\[~\\] doing\\s+\\d+%\\s+Analysis\\s+-\\s+${firstTwo[0]}$`));
    expect(lines[4]).toMatch(new RegExp(`^2\\s+2\\s+\\[O\\] todo\\s+\\S+\\s+Design work\\s+#1\\s+${firstTwo[1]}$`));
    expect(lines[5]).toMatch(/^3\s+3\s+\[O\] todo\s+\S+\s+Build it\s+#2\s+\S+$/);
  });

  it('executes under the execute alias and updates and deletes under every alias', async () => {
    const pid = idFrom((await w.wtt(['pipeline', 'create', 'Temp'])).stdout);
    await w.wtt(['pipeline', 'add', pid, 'Only stage']);
    expect((await w.wtt(['pipe', 'execute', pid])).stdout).toBe(`Pipeline ${pid} execution started: 1 task dispatched\n`);
    expect((await w.wtt(['pipeline', 'update', pid, 'auto_review=yes', 'name=Temporary'])).stdout).toBe(`Pipeline ${pid} updated\n`);
    expect((await w.wtt(['pipeline', 'list'])).stdout).toContain(`  Temporary [auto-review]\n    ID: ${pid} | Tasks: 1`);
    expect((await w.wtt(['pipeline', 'update', pid, 'auto_review=maybe'], 2)).stderr).toBe(
      "auto_review must be true or false, got 'maybe'\nUsage: wtt pipeline update <pipeline_id> key=value…\n",
    );
    expect((await w.wtt(['pipeline', 'delete', pid])).stdout).toBe(`Pipeline ${pid} deleted\n`);
    expect((await w.wtt(['pipeline', 'list'])).stdout).not.toContain(pid);
    const other = idFrom((await w.wtt(['pipeline', 'create', 'Other'])).stdout);
    expect((await w.wtt(['pipe', 'remove', other])).stdout).toBe(`Pipeline ${other} deleted\n`);
  });

  it('reports an unknown pipeline clearly when adding or showing status', async () => {
    expect((await w.wtt(['pipeline', 'status', 'no-such-pipeline'], 1)).stderr).toBe(
      'Error: pipeline no-such-pipeline not found (see: wtt pipeline list)\n',
    );
    expect((await w.wtt(['pipeline', 'add', 'no-such-pipeline', 'x'], 1)).stderr).toBe(
      'Error: pipeline no-such-pipeline not found (see: wtt pipeline list)\n',
    );
  });
});
