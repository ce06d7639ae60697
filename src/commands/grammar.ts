/**
 * `@wtt …` text → a typed `Command` (wtt-protocol.md §10), or a `UsageError` naming the command's
 * usage and what was wrong. Never any other exception, whatever the input (property-tested).
 *
 * - An optional leading `@wtt` or `/wtt` (any case) must be followed by whitespace or the end:
 *   `@wttlist` is not a command.
 * - Command words are case-insensitive; arguments keep their case.
 * - Words split shell-like (tokenize.ts); `key=value` words (key unquoted) set fields.
 * - Content arguments (publish, p2p, talk, rich, task review comment, delegate publish|p2p) are the
 *   rest of the text verbatim, newlines included; when that rest is one quoted word, its quotes go.
 */
import {
  CONTENT_TYPE_NAMES,
  MEMORY_MODES,
  REVIEW_ACTION_NAMES,
  TASK_FILTER_KEYS,
  TOPIC_TYPE_NAMES,
  type Command,
  type CommandOf,
  type ContentType,
  type MemoryMode,
  type TaskFilterKey,
} from './command.js';
import { UnterminatedQuoteError, joinWords, nextWord, skipSpace, splitWords, type Word } from './tokenize.js';
import { ALL_USAGE, UsageError, isHelpTopic, type HelpTopic, type UsageEntry } from './usage.js';
import { moduleFor } from './modules/index.js';

export { UsageError, isUsageError } from './usage.js';
export type { Command } from './command.js';

/** Largest `limit` a history request may ask for (the hub's maximum). */
export const MAX_HISTORY_LIMIT = 1000;
export const DEFAULT_HISTORY_LIMIT = 20;

/**
 * Command words → canonical command (`VERBS`) and, per group, sub-command words → canonical
 * sub-command (`SUBVERBS`): the names and aliases of the help table, so help and parsing agree.
 */
const { VERBS, SUBVERBS } = (() => {
  const verbs: Record<string, string> = {};
  const subverbs: Record<string, Record<string, string>> = {};
  for (const [topic, entry] of Object.entries(ALL_USAGE) as [HelpTopic, UsageEntry][]) {
    const [head, sub] = topic.split(' ') as [string, string | undefined];
    const canonical = sub ?? head;
    const table = sub === undefined ? verbs : (subverbs[head] ??= {});
    for (const w of [canonical, ...(entry.aliases ?? [])]) table[w] = canonical;
  }
  return { VERBS: verbs as Readonly<Record<string, string>>, SUBVERBS: subverbs as Readonly<Record<string, Readonly<Record<string, string>>>> };
})();

const TASK_FIELD_KEYS = new Set([
  'title', 'description', 'task_type', 'task_mode', 'pipeline_id', 'priority', 'status', 'owner_agent_id',
  'runner_agent_id', 'acceptance', 'exec_mode', 'due_at', 'estimate_hours', 'dependencies', 'notes', 'output', 'reviewer',
]);
const PIPELINE_FIELD_KEYS = new Set(['name', 'description', 'auto_review']);
const BOOL_WORDS: Readonly<Record<string, 'true' | 'false'>> = {
  true: 'true', '1': 'true', yes: 'true', on: 'true', false: 'false', '0': 'false', no: 'false', off: 'false',
};

/** Own-property lookup: `constructor`, `__proto__` and friends are not commands. */
function own<V>(map: Readonly<Record<string, V>>, key: string): V | undefined {
  return Object.prototype.hasOwnProperty.call(map, key) ? map[key] : undefined;
}

const HELP_FLAGS = new Set(['--help', '-h', '-?']);
const KEY_VALUE = /^([A-Za-z_][A-Za-z0-9_]*)=/;

/** A cursor over the text that reads words one at a time, or takes the rest verbatim. */
class Reader {
  pos = 0;
  topic: HelpTopic | undefined;

  constructor(
    readonly text: string,
    /** The text was made by `argvToText`: content is the remaining words, joined by one space. */
    readonly shellWords = false,
  ) {}

  private fail(problem: string): never {
    throw new UsageError(problem, this.topic);
  }

  peek(): Word | undefined {
    try {
      return nextWord(this.text, this.pos);
    } catch (e) {
      if (e instanceof UnterminatedQuoteError) this.fail(e.message);
      throw e;
    }
  }

  optWord(): Word | undefined {
    const w = this.peek();
    if (w) this.pos = w.end;
    return w;
  }

  word(name: string): string {
    const w = this.optWord();
    if (!w || w.value === '') this.fail(`missing ${name}`);
    return w.value;
  }

  /** The one and only argument: a missing word or any extra word is a usage error. */
  single(name: string): string {
    const v = this.word(name);
    this.end();
    return v;
  }

  words(): Word[] {
    const out: Word[] = [];
    for (let w = this.optWord(); w; w = this.optWord()) out.push(w);
    return out;
  }

  /** The rest of the text verbatim (a single fully quoted word loses its quotes). */
  rest(name: string): string {
    const start = skipSpace(this.text, this.pos);
    this.pos = this.text.length;
    const raw = this.text.slice(start).replace(/\s+$/u, '');
    if (raw === '') this.fail(`missing ${name}`);
    if (this.shellWords) {
      const joined = splitWords(raw).map((w) => w.value).join(' ');
      if (joined.trim() === '') this.fail(`missing ${name}`);
      return joined;
    }
    const q = raw[0];
    if ((q === '"' || q === "'") && raw.length >= 2 && raw.endsWith(q)) {
      try {
        const ws = splitWords(raw);
        if (ws.length === 1 && ws[0] !== undefined && ws[0].value !== '') return ws[0].value;
      } catch {
        // not one quoted word after all: keep the text as written
      }
    }
    return raw;
  }

  end(): void {
    const w = this.optWord();
    if (w) this.fail(`unexpected argument '${w.value}'`);
  }

  /** True when the unread text starts with this pattern (no word splitting: content may follow). */
  startsWith(re: RegExp): boolean {
    return re.test(this.text.slice(skipSpace(this.text, this.pos)));
  }

  /** True (and consumed) when the next word asks for help. Content with a stray quote is not an error here. */
  helpFlag(): boolean {
    if (!this.startsWith(/^(?:--help|-h|-\?)(?:\s|$)/iu)) return false;
    const w = this.peek();
    if (w && HELP_FLAGS.has(w.value.toLowerCase())) {
      this.pos = w.end;
      return true;
    }
    return false;
  }

  problem(problem: string): never {
    this.fail(problem);
  }
}

function isKeyValue(w: Word): boolean {
  return KEY_VALUE.test(w.raw);
}

function keyValue(w: Word): [string, string] {
  const i = w.value.indexOf('=');
  return [w.value.slice(0, i).toLowerCase(), w.value.slice(i + 1)];
}

function wholeNumber(r: Reader, name: string, value: string, min: number, max: number): number {
  const n = /^\d{1,9}$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    r.problem(`${name} must be a whole number from ${min} to ${max}, got '${value}'`);
  }
  return n;
}

/** Words → positional values and `key=value` fields (keys checked against `allowed`). */
function splitFields(r: Reader, words: readonly Word[], allowed: ReadonlySet<string>): { positional: string[]; fields: Record<string, string> } {
  const positional: string[] = [];
  const fields: Record<string, string> = {};
  for (const w of words) {
    if (!isKeyValue(w)) {
      positional.push(w.value);
      continue;
    }
    const [k, v] = keyValue(w);
    if (!allowed.has(k)) r.problem(`unknown field '${k}' (use ${[...allowed].join(', ')})`);
    fields[k] = v;
  }
  return { positional, fields };
}

/** Words that must all be `key=value` (keys checked against `allowed`); `what` names them in the error. */
function keyValuesOnly(r: Reader, allowed: ReadonlySet<string>, what: 'fields' | 'filters'): Record<string, string> {
  const { positional, fields } = splitFields(r, r.words(), allowed);
  if (positional.length) r.problem(`unexpected argument '${positional[0]}' (${what} are key=value)`);
  return fields;
}

/** One optional value given either bare (`20`) or as `key=20`. */
function optionalArg(r: Reader, key: string): string | undefined {
  const words = r.words();
  if (words.length > 1) r.problem(`unexpected argument '${(words[1] as Word).value}'`);
  const w = words[0];
  if (!w) return undefined;
  if (isKeyValue(w)) {
    const [k, v] = keyValue(w);
    if (k !== key) r.problem(`unknown field '${k}' (use ${key}=…)`);
    return v;
  }
  return w.value;
}

function resolveSub(group: string, word: string): string | undefined {
  const subs = own(SUBVERBS, group);
  return subs ? own(subs, word) : undefined;
}

/** `help <words…>` → the help topic they name (aliases allowed), or a UsageError. */
function helpTopic(r: Reader): Command {
  const words = r.words().map((w) => w.value.toLowerCase());
  if (words.length === 0) return { kind: 'help' };
  const verb = own(VERBS, words[0] as string);
  if (!verb) r.problem(`no help for unknown command '${words.join(' ')}'`);
  const sub = words[1] !== undefined ? resolveSub(verb, words[1]) : undefined;
  const key = sub ? `${verb} ${sub}` : verb;
  return isHelpTopic(key) ? { kind: 'help', topic: key } : { kind: 'help' };
}

/** Strip an optional `@wtt` / `/wtt` prefix (case-insensitive, followed by whitespace or the end). */
export function stripPrefix(text: string): string {
  const t = text.trim();
  return /^[@/]wtt(?=\s|$)/iu.test(t) ? t.slice(4).trim() : t;
}

export interface ParseOptions {
  /**
   * The text came from `argvToText` over several shell-split arguments: a content argument is
   * then the remaining words joined by one space (the shell already removed the user's quotes).
   */
  shellWords?: boolean;
}

/** Parse one command. Throws only `UsageError`. */
export function parseCommand(input: string, opts: ParseOptions = {}): Command {
  const r: Reader = new Reader(stripPrefix(input), opts.shellWords === true);
  const first = r.optWord();
  if (!first) return { kind: 'help' };
  const word = first.value.toLowerCase();
  const verb = own(VERBS, word);
  if (!verb) throw new UsageError(`Unknown command: ${first.value}`);
  if (verb === 'help') return helpTopic(r);
  if (isHelpTopic(verb)) r.topic = verb;
  if (r.helpFlag()) return { kind: 'help', topic: r.topic };

  const mod = moduleFor(verb);
  if (mod) return { kind: mod.name, args: mod.parse(r) } as Command;

  if (own(SUBVERBS, verb)) {
    const group = verb as 'task' | 'pipeline' | 'memory' | 'delegate' | 'blacklist';
    const subWord = r.optWord();
    // A group alone (`task`) shows its help, as the original did.
    if (!subWord) return { kind: 'help', topic: r.topic };
    const sub = resolveSub(group, subWord.value.toLowerCase());
    if (!sub) r.problem(`unknown ${group} sub-command '${subWord.value}'`);
    const key = `${group} ${sub}`;
    if (isHelpTopic(key)) r.topic = key;
    if (r.helpFlag()) return { kind: 'help', topic: r.topic };
    const subMod = moduleFor(key);
    if (subMod) return { kind: subMod.name, args: subMod.parse(r) } as Command;
    return parseGroup(r, group, sub);
  }
  return parseSimple(r, verb);
}

function parseSimple(r: Reader, verb: string): Command {
  switch (verb) {
    case 'list':
      r.end();
      return { kind: 'list' };
    case 'find':
      return { kind: 'find', query: r.rest('<keyword>') };
    case 'create': {
      const words = r.words().map((w) => w.value);
      if (words.length < 2) r.problem(words.length === 0 ? 'missing name and description' : 'missing description');
      const last = (words[words.length - 1] as string).toLowerCase();
      let type: (typeof TOPIC_TYPE_NAMES)[number] = 'discussion';
      if (words.length >= 3 && (TOPIC_TYPE_NAMES as readonly string[]).includes(last)) {
        type = last as typeof type;
        words.pop();
      }
      const [name, ...desc] = words as [string, ...string[]];
      if (name.trim() === '') r.problem('name must not be empty');
      return { kind: 'create', name, description: desc.join(' '), type };
    }
    case 'delete':
    case 'detail':
    case 'join':
    case 'leave': {
      return { kind: verb, topic_id: r.single('<topic_id>') };
    }
    case 'subscribed':
      r.end();
      return { kind: 'subscribed' };
    case 'history': {
      const topic_id = r.word('<topic_id>');
      const v = optionalArg(r, 'limit');
      const limit = v === undefined ? DEFAULT_HISTORY_LIMIT : wholeNumber(r, 'limit', v, 1, MAX_HISTORY_LIMIT);
      return { kind: 'history', topic_id, limit };
    }
    case 'publish': {
      const topic_id = r.word('<topic_id>');
      let content_type: ContentType = 'text';
      if (r.startsWith(/^--type(?:=|\s|$)/u)) {
        const flag = r.word('--type');
        const t = (flag === '--type' ? r.word('<content_type> after --type') : flag.slice(7)).toLowerCase();
        if (!(CONTENT_TYPE_NAMES as readonly string[]).includes(t)) {
          r.problem(`content type must be one of ${CONTENT_TYPE_NAMES.join(', ')}, got '${t}'`);
        }
        content_type = t as ContentType;
      }
      return { kind: 'publish', topic_id, content_type, content: r.rest('<content>') };
    }
    case 'poll': {
      const v = optionalArg(r, 'limit');
      return v === undefined ? { kind: 'poll' } : { kind: 'poll', limit: wholeNumber(r, 'limit', v, 1, 500) };
    }
    case 'p2p': {
      const agent_id = r.word('<agent_id>');
      return { kind: 'p2p', agent_id, content: r.rest('<content>') };
    }
    case 'feed': {
      const v = optionalArg(r, 'page');
      return { kind: 'feed', page: v === undefined ? 1 : wholeNumber(r, 'page', v, 1, 100_000) };
    }
    case 'inbox':
      r.end();
      return { kind: 'inbox' };
    case 'talk':
      return { kind: 'talk', text: r.rest('<text>') };
    case 'rich': {
      const topic_id = r.word('<topic_id>');
      const title = r.word('<title>');
      return { kind: 'rich', topic_id, title, markdown: r.rest('<markdown>') };
    }
    case 'export': {
      const topic_id = r.word('<topic_id>');
      const f = (optionalArg(r, 'format') ?? 'md').toLowerCase();
      if (f !== 'md') r.problem(`format '${f}' cannot be shown in chat; use md (pdf and docx are files: download them from the web app)`);
      return { kind: 'export', topic_id, format: 'md' };
    }
    case 'preview': {
      const url = r.single('<url>');
      if (!/^https?:\/\/\S+$/iu.test(url)) r.problem(`url must start with http:// or https://, got '${url}'`);
      return { kind: 'preview', url };
    }
    case 'bind':
      r.end();
      return { kind: 'bind' };
    case 'config': {
      const w = r.optWord();
      r.end();
      if (!w) return { kind: 'config', action: 'show' };
      const a = w.value.toLowerCase();
      if (a === 'auto' || a === 'init' || a === 'setup') return { kind: 'config', action: 'auto' };
      return r.problem(`unknown config action '${w.value}' (use auto, init or setup)`);
    }
    default:
      return r.problem(`Unknown command: ${verb}`);
  }
}

function parseGroup(r: Reader, group: 'task' | 'pipeline' | 'memory' | 'delegate' | 'blacklist', sub: string): Command {
  switch (`${group} ${sub}`) {
    case 'task list': {
      const fields = keyValuesOnly(r, new Set(TASK_FILTER_KEYS), 'filters');
      if (fields.limit !== undefined) wholeNumber(r, 'limit', fields.limit, 1, 1000);
      return { kind: 'task.list', filters: fields as Partial<Record<TaskFilterKey, string>> };
    }
    case 'task create': {
      const { positional, fields } = splitFields(r, r.words(), TASK_FIELD_KEYS);
      const title = positional[0] ?? fields.title;
      if (title === undefined || title.trim() === '') r.problem('missing <title>');
      const rest = positional.slice(1).join(' ');
      const { title: _t, ...extra } = fields;
      void _t;
      const description = rest || undefined;
      if (description !== undefined && extra.description !== undefined) r.problem('description given twice (words and description=)');
      return description === undefined
        ? { kind: 'task.create', title, fields: extra }
        : { kind: 'task.create', title, description, fields: extra };
    }
    case 'task detail':
    case 'task delete': {
      return { kind: sub === 'detail' ? 'task.detail' : 'task.delete', task_id: r.single('<task_id>') };
    }
    case 'task update': {
      const task_id = r.word('<task_id>');
      const fields = keyValuesOnly(r, TASK_FIELD_KEYS, 'fields');
      if (Object.keys(fields).length === 0) r.problem('nothing to update: give at least one key=value');
      return { kind: 'task.update', task_id, fields };
    }
    case 'task assign': {
      const task_id = r.word('<task_id>');
      const agent_id = optionalArg(r, 'agent_id');
      return agent_id ? { kind: 'task.assign', task_id, agent_id } : { kind: 'task.assign', task_id };
    }
    case 'task run': {
      const task_id = r.word('<task_id>');
      const runner = optionalArg(r, 'runner_agent_id');
      return runner ? { kind: 'task.run', task_id, runner_agent_id: runner } : { kind: 'task.run', task_id };
    }
    case 'task review': {
      const task_id = r.word('<task_id>');
      const a = r.word('<approve|reject|block>').toLowerCase();
      if (!(REVIEW_ACTION_NAMES as readonly string[]).includes(a)) {
        r.problem(`review action must be approve, reject or block, got '${a}'`);
      }
      const hasComment = skipSpace(r.text, r.pos) < r.text.length;
      return {
        kind: 'task.review',
        task_id,
        action: a as (typeof REVIEW_ACTION_NAMES)[number],
        comment: hasComment ? r.rest('[comment]') : '',
      };
    }
    case 'task deps': {
      const op = r.word('add or remove').toLowerCase();
      if (op !== 'add' && op !== 'remove' && op !== 'rm' && op !== 'delete') r.problem(`task deps takes add or remove, got '${op}'`);
      const task_id = r.word('<task_id>');
      const depends_on_task_id = r.word('<depends_on_task_id>');
      r.end();
      if (task_id === depends_on_task_id) r.problem('a task cannot depend on itself');
      return { kind: op === 'add' ? 'task.deps.add' : 'task.deps.remove', task_id, depends_on_task_id };
    }
    case 'task graph': {
      const pipeline_id = optionalArg(r, 'pipeline_id');
      return pipeline_id ? { kind: 'task.graph', pipeline_id } : { kind: 'task.graph' };
    }
    case 'task progress':
      r.end();
      return { kind: 'task.progress' };

    case 'pipeline list':
      r.end();
      return { kind: 'pipeline.list' };
    case 'pipeline create': {
      const name = r.word('<name>');
      return { kind: 'pipeline.create', name, description: r.words().map((w) => w.value).join(' ') };
    }
    case 'pipeline add': {
      const pipeline_id = r.word('<pipeline_id>');
      const titles = r.words().map((w) => w.value);
      if (titles.length === 0) r.problem('missing <stage title>');
      if (titles.some((t) => t.trim() === '')) r.problem('stage titles must not be empty');
      return { kind: 'pipeline.add', pipeline_id, titles };
    }
    case 'pipeline status':
    case 'pipeline delete':
    case 'pipeline run': {
      return { kind: `pipeline.${sub}` as 'pipeline.status' | 'pipeline.delete' | 'pipeline.run', pipeline_id: r.single('<pipeline_id>') };
    }
    case 'pipeline update': {
      const pipeline_id = r.word('<pipeline_id>');
      const fields = keyValuesOnly(r, PIPELINE_FIELD_KEYS, 'fields');
      if (Object.keys(fields).length === 0) r.problem('nothing to update: give at least one key=value');
      if (fields.auto_review !== undefined) {
        const b = BOOL_WORDS[fields.auto_review.toLowerCase()];
        if (!b) r.problem(`auto_review must be true or false, got '${fields.auto_review}'`);
        fields.auto_review = b;
      }
      return { kind: 'pipeline.update', pipeline_id, fields };
    }

    case 'memory export': {
      const topic_id = r.word('<topic_id>');
      const { positional, fields } = splitFields(r, r.words(), new Set(['mode', 'limit', 'target_path']));
      if (positional.length > 1) r.problem(`unexpected argument '${positional[1]}'`);
      const mode = (fields.mode ?? positional[0] ?? 'timeline').toLowerCase();
      if (!(MEMORY_MODES as readonly string[]).includes(mode)) r.problem(`mode must be timeline or distilled, got '${mode}'`);
      const cmd: CommandOf<'memory.export'> = { kind: 'memory.export', topic_id, mode: mode as MemoryMode };
      if (fields.limit !== undefined) cmd.limit = wholeNumber(r, 'limit', fields.limit, 1, 5000);
      if (fields.target_path !== undefined) cmd.target_path = fields.target_path;
      return cmd;
    }
    case 'memory read': {
      const { positional, fields } = splitFields(r, r.words(), new Set(['target_path', 'tail_lines']));
      if (positional.length > 1) r.problem(`unexpected argument '${positional[1]}'`);
      const cmd: CommandOf<'memory.read'> = { kind: 'memory.read' };
      const path = fields.target_path ?? positional[0];
      if (path !== undefined) cmd.target_path = path;
      if (fields.tail_lines !== undefined) cmd.tail_lines = wholeNumber(r, 'tail_lines', fields.tail_lines, 1, 100_000);
      return cmd;
    }

    case 'delegate create':
    case 'delegate remove': {
      return { kind: sub === 'create' ? 'delegate.create' : 'delegate.remove', target_agent_id: r.single('<target_agent_id>') };
    }
    case 'delegate grant':
      return { kind: 'delegate.grant', manager_agent_id: r.single('<manager_agent_id>') };
    case 'delegate list':
      r.end();
      return { kind: 'delegate.list' };
    case 'delegate publish': {
      const target_agent_id = r.word('<target_agent_id>');
      const topic_id = r.word('<topic_id>');
      return { kind: 'delegate.publish', target_agent_id, topic_id, content: r.rest('<content>') };
    }
    case 'delegate p2p': {
      const target_agent_id = r.word('<target_agent_id>');
      const peer_agent_id = r.word('<peer_agent_id>');
      return { kind: 'delegate.p2p', target_agent_id, peer_agent_id, content: r.rest('<content>') };
    }

    case 'blacklist add': {
      const topic_id = r.word('<topic_id>');
      const agent_id = r.word('<agent_id>');
      const mode = optionalArg(r, 'mode') ?? 'permanent';
      if (mode.trim() === '') r.problem('mode must not be empty');
      return { kind: 'blacklist.add', topic_id, agent_id, mode };
    }
    case 'blacklist remove': {
      const topic_id = r.word('<topic_id>');
      const agent_id = r.word('<agent_id>');
      r.end();
      return { kind: 'blacklist.remove', topic_id, agent_id };
    }
    case 'blacklist list':
      return { kind: 'blacklist.list', topic_id: r.single('<topic_id>') };
    default:
      return r.problem(`unknown ${group} sub-command '${sub}'`);
  }
}

/** True when argv is ONE argument holding the whole command as written (it contains whitespace). */
export function isWholeCommand(argv: readonly string[]): boolean {
  return argv.length === 1 && /\s/u.test(argv[0] as string);
}

/**
 * The CLI's argv → command text. One argument holding whitespace is the whole command as written
 * (`wtt 'publish t1 "hello world"'`); otherwise the arguments are words the shell already split,
 * re-joined with the ones that need it put back in double quotes (`wtt publish t1 "hello world"`).
 * A word that starts with `key=` stays a field: only its value is quoted (`notes="two words"`).
 */
export function argvToText(argv: readonly string[]): string {
  if (isWholeCommand(argv)) return argv[0] as string;
  return argv
    .map((a) => {
      const m = KEY_VALUE.exec(a);
      return m ? `${m[0]}${joinWords([a.slice(m[0].length)])}` : joinWords([a]);
    })
    .join(' ');
}

/** Parse a CLI argv by the rule of `argvToText`. Throws only `UsageError`. */
export function parseArgv(argv: readonly string[]): Command {
  if (argv.every((a) => a.trim() === '')) return { kind: 'help' };
  return parseCommand(argvToText(argv), { shellWords: !isWholeCommand(argv) });
}
