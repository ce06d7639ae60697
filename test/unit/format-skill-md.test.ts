import { accessSync, constants, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../src/commands/grammar.js';
import { reviewButtons } from '../../src/runtime/task-status.js';

const ROOT = new URL('../../', import.meta.url);
const text = readFileSync(new URL('SKILL.md', ROOT), 'utf8');

/** The frontmatter lines between the opening and closing `---`. */
function frontmatter(): Map<string, string> {
  const m = /^---\n([\s\S]*?)\n---\n/.exec(text);
  if (!m?.[1]) throw new Error('SKILL.md has no frontmatter block at its start');
  const out = new Map<string, string>();
  for (const line of m[1].split('\n')) {
    const kv = /^([a-z-]+): (.+)$/.exec(line);
    if (!kv?.[1] || kv[2] === undefined) throw new Error(`frontmatter line is not "key: value" on one line: ${line}`);
    out.set(kv[1], kv[2]);
  }
  return out;
}

describe('SKILL.md', () => {
  it("has OpenClaw's frontmatter with name, description and one-line metadata JSON when read", () => {
    const fm = frontmatter();
    expect(fm.get('name')).toBe('wtt-skill');
    expect(fm.get('description')?.length).toBeGreaterThan(40);
    expect(fm.get('description')).toContain('@wtt');
    const metadata = JSON.parse(fm.get('metadata') ?? 'null') as { openclaw?: { requires?: { bins?: unknown } } };
    expect(metadata.openclaw?.requires?.bins).toEqual(['node']);
    expect([...fm.keys()].every((k) => ['name', 'description', 'metadata', 'homepage', 'user-invocable', 'disable-model-invocation'].includes(k))).toBe(true);
  });

  it('tells the model to run the executable bin/wtt and reply verbatim when a message starts with @wtt', () => {
    accessSync(new URL('bin/wtt', ROOT), constants.X_OK);
    expect(text).toContain("{baseDir}/bin/wtt '<the rest of the message>'");
    expect(text).toMatch(/output \*\*verbatim\*\*/);
    expect(text).toContain('cd {baseDir} && npm ci');
    expect(text).toContain('{baseDir}/bin/wtt up');
  });

  it('shows only example commands that the grammar accepts when it gives examples', () => {
    const quoted = [...text.matchAll(/\{baseDir\}\/bin\/wtt '([^'\n]+)'`/g)].map((m) => m[1] as string);
    const plain = [...text.matchAll(/\{baseDir\}\/bin\/wtt ([a-z][a-z ]*[a-z])(?=\s*(?:#|`|\n))/g)].map((m) => m[1] as string);
    expect(quoted.length).toBeGreaterThanOrEqual(5);
    expect(plain).toEqual(expect.arrayContaining(['config auto', 'bind', 'help']));
    // `up`, `hub` and `tail` are runtime routes of src/cli.ts, not chat commands.
    const routes = new Set(['up', 'hub', 'tail']);
    for (const c of [...quoted, ...plain.filter((p) => !routes.has(p.split(' ')[0] as string))]) {
      expect(() => parseCommand(c), c).not.toThrow();
    }
  });

  it('maps every button value the runtime sends to a command the grammar accepts', () => {
    const id = '5c1e9f2a-1111-4222-8333-944455556666';
    const rows = [...text.matchAll(/^\| `(wtt:[a-z]+):<task_id>` \| `\{baseDir\}\/bin\/wtt '([^']+)'` \|$/gm)];
    const mapped = new Map(rows.map((r) => [r[1], r[2]]));
    const buttons = reviewButtons(id) ?? [];
    expect(buttons).toHaveLength(2);
    for (const b of buttons) {
      expect(Buffer.byteLength(b.value)).toBeLessThanOrEqual(64);
      const prefix = b.value.slice(0, b.value.lastIndexOf(':'));
      const command = mapped.get(prefix);
      expect(command, `SKILL.md maps ${prefix}`).toBeDefined();
      const parsed = parseCommand((command ?? '').replace('<task_id>', id));
      expect(parsed).toMatchObject({ kind: 'task.review' });
    }
  });
});
