import { describe, expect, it } from 'vitest';
import { argvToText, parseArgv, parseCommand, UsageError, type Command } from '../../src/commands/grammar.js';
import { ALL_USAGE, helpFor, USAGE, type HelpTopic } from '../../src/commands/usage.js';

function usageOf(text: string): UsageError {
  try {
    parseCommand(text);
  } catch (e) {
    if (e instanceof UsageError) return e;
    throw e;
  }
  throw new Error(`expected a usage error for ${JSON.stringify(text)}`);
}

/** One test per case: the text parses to exactly that command. */
function itParses(cases: readonly (readonly [string, Command])[], name = 'parses %j'): void {
  it.each(cases)(name, (text, expected) => {
    expect(parseCommand(text)).toEqual(expected);
  });
}

describe('grammar', () => {
  describe('prefix and verbs', () => {
    itParses(
      [
        ['list', { kind: 'list' }],
        ['@wtt list', { kind: 'list' }],
        ['/wtt list', { kind: 'list' }],
        ['@WTT LIST', { kind: 'list' }],
        ['  @Wtt\tls  ', { kind: 'list' }],
        ['/wtt\ntopics', { kind: 'list' }],
      ] as const,
      'reads %j as list when the prefix is optional and case-insensitive',
    );

    it('rejects @wttlist when the prefix is glued to the verb', () => {
      const e = usageOf('@wttlist');
      expect(e.problem).toBe('Unknown command: @wttlist');
      expect(e.usage).toBe('wtt help');
    });

    it('returns help when the text is empty or only the prefix', () => {
      expect(parseCommand('')).toEqual({ kind: 'help' });
      expect(parseCommand('@wtt')).toEqual({ kind: 'help' });
      expect(parseCommand('  /WTT  ')).toEqual({ kind: 'help' });
    });

    it('names the unknown word when the verb is not a command', () => {
      expect(usageOf('frobnicate now').message).toBe('Unknown command: frobnicate\nUsage: wtt help');
    });

    it('refuses object-prototype names when they are used as commands', () => {
      for (const w of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
        expect(usageOf(w).problem).toBe(`Unknown command: ${w}`);
        expect(usageOf(`task ${w}`).problem).toBe(`unknown task sub-command '${w}'`);
      }
    });
  });

  describe('help', () => {
    itParses(
      [
        ['help', { kind: 'help' }],
        ['help publish', { kind: 'help', topic: 'publish' }],
        ['help post', { kind: 'help', topic: 'publish' }],
        ['help task', { kind: 'help', topic: 'task' }],
        ['help task new', { kind: 'help', topic: 'task create' }],
        ['help pipe execute', { kind: 'help', topic: 'pipeline run' }],
        ['publish --help', { kind: 'help', topic: 'publish' }],
        ['@wtt dm -h', { kind: 'help', topic: 'p2p' }],
        ['task --help', { kind: 'help', topic: 'task' }],
        ['task create --help', { kind: 'help', topic: 'task create' }],
        ['pipeline add --HELP', { kind: 'help', topic: 'pipeline add' }],
        ['whoami --help', { kind: 'help', topic: 'config' }],
      ] as const,
      'reads %j as a help request when asked',
    );

    it('answers --help for every command, sub-command and alias when asked', () => {
      const topics = (Object.keys(ALL_USAGE) as HelpTopic[]).filter((t) => t !== 'help');
      for (const topic of topics) {
        const words = topic.split(' ');
        const groupAliases: readonly string[] = words.length === 2 ? ((ALL_USAGE[words[0] as HelpTopic] as { aliases?: readonly string[] }).aliases ?? []) : [];
        const ownAliases: readonly string[] = (ALL_USAGE[topic] as { aliases?: readonly string[] }).aliases ?? [];
        const spellings = [
          topic,
          ...ownAliases.map((a) => [...words.slice(0, -1), a].join(' ')),
          ...groupAliases.map((g) => [g, ...words.slice(1)].join(' ')),
        ];
        for (const text of spellings) {
          expect(parseCommand(`${text} --help`), text).toEqual({ kind: 'help', topic });
          expect(parseCommand(`help ${text}`), text).toEqual({ kind: 'help', topic });
        }
        expect(helpFor(topic)).toMatch(new RegExp(`^Usage: wtt ${topic}\\b`));
      }
    });

    it('refuses help for a command that does not exist', () => {
      expect(usageOf('help nothing').problem).toBe("no help for unknown command 'nothing'");
    });
  });

  describe('topics', () => {
    itParses(
      [
        ['find ai news', { kind: 'find', query: 'ai news' }],
        ['search "ai news"', { kind: 'find', query: 'ai news' }],
        ['delete t1', { kind: 'delete', topic_id: 't1' }],
        ['remove t1', { kind: 'delete', topic_id: 't1' }],
        ['detail t1', { kind: 'detail', topic_id: 't1' }],
        ['info t1', { kind: 'detail', topic_id: 't1' }],
        ['subscribed', { kind: 'subscribed' }],
        ['mysubs', { kind: 'subscribed' }],
        ['join t1', { kind: 'join', topic_id: 't1' }],
        ['subscribe t1', { kind: 'join', topic_id: 't1' }],
        ['leave t1', { kind: 'leave', topic_id: 't1' }],
        ['unsubscribe t1', { kind: 'leave', topic_id: 't1' }],
      ] as const,
    );

    it('takes the last word as the topic type when there are three words or more and it is a type', () => {
      expect(parseCommand('create news "Daily links" Broadcast')).toEqual({ kind: 'create', name: 'news', description: 'Daily links', type: 'broadcast' });
      expect(parseCommand('new "AI news" about models and more')).toEqual({ kind: 'create', name: 'AI news', description: 'about models and more', type: 'discussion' });
    });

    it('keeps a type word as the description when only two words are given', () => {
      expect(parseCommand('create news broadcast')).toEqual({ kind: 'create', name: 'news', description: 'broadcast', type: 'discussion' });
    });

    it('asks for the description when create has only a name', () => {
      const e = usageOf('create news');
      expect(e.problem).toBe('missing description');
      expect(e.usage).toBe('wtt create <name> <description…> [broadcast|discussion|collaborative|p2p]');
    });

    it('reports a missing topic id with the usage line when join has no argument', () => {
      expect(usageOf('join').message).toBe('missing <topic_id>\nUsage: wtt join <topic_id>');
    });

    it('refuses extra words when a command takes none', () => {
      expect(usageOf('list everything').problem).toBe("unexpected argument 'everything'");
      expect(usageOf('subscribed agent-1').problem).toBe("unexpected argument 'agent-1'");
    });
  });

  describe('messaging', () => {
    it('defaults the history limit to 20 and accepts a bare or key=value limit', () => {
      expect(parseCommand('history t1')).toEqual({ kind: 'history', topic_id: 't1', limit: 20 });
      expect(parseCommand('messages t1 50')).toEqual({ kind: 'history', topic_id: 't1', limit: 50 });
      expect(parseCommand('history t1 limit=1000')).toEqual({ kind: 'history', topic_id: 't1', limit: 1000 });
    });

    it.each(['abc', '0', '1001', '-5', '2.5', '99999999999'])('refuses history limit %j when it is not 1..1000', (limit) => {
      const e = usageOf(`history t1 ${limit}`);
      expect(e.problem).toBe(`limit must be a whole number from 1 to 1000, got '${limit}'`);
      expect(e.usage).toBe('wtt history <topic_id> [limit]');
    });

    it('keeps multi-line publish content whole when it spans lines', () => {
      expect(parseCommand('@wtt publish t1 first line\nsecond line\n\n  third')).toEqual({
        kind: 'publish', topic_id: 't1', content_type: 'text', content: 'first line\nsecond line\n\n  third',
      });
    });

    it('keeps content as written when it has quotes and apostrophes inside', () => {
      expect(parseCommand(`post t1 don't say "never"`)).toEqual({ kind: 'publish', topic_id: 't1', content_type: 'text', content: `don't say "never"` });
      expect(parseCommand(`send t1 'a' and 'b'`)).toEqual({ kind: 'publish', topic_id: 't1', content_type: 'text', content: `'a' and 'b'` });
    });

    it('removes the quotes when the whole content is one quoted word', () => {
      expect(parseCommand('publish t1 "hello world"')).toEqual({ kind: 'publish', topic_id: 't1', content_type: 'text', content: 'hello world' });
      expect(parseCommand("publish t1 'it is \"fine\"'")).toEqual({ kind: 'publish', topic_id: 't1', content_type: 'text', content: 'it is "fine"' });
    });

    it('reads --type before the content when given', () => {
      expect(parseCommand('publish t1 --type image https://x/y.png')).toEqual({ kind: 'publish', topic_id: 't1', content_type: 'image', content: 'https://x/y.png' });
      expect(parseCommand('publish t1 --type=LINK https://x')).toEqual({ kind: 'publish', topic_id: 't1', content_type: 'link', content: 'https://x' });
    });

    it('refuses an unknown content type when --type names one', () => {
      expect(usageOf('publish t1 --type gif x').problem).toBe("content type must be one of text, image, audio, video, link, file, mixed, got 'gif'");
    });

    it('asks for content when publish has only a topic', () => {
      expect(usageOf('publish t1').message).toBe('missing <content>\nUsage: wtt publish <topic_id> [--type <content_type>] <content…>');
      expect(usageOf('publish t1 --type image').problem).toBe('missing <content>');
    });

    it('keeps every line of p2p content when the message spans lines', () => {
      for (const verb of ['p2p', 'dm', 'private']) {
        expect(parseCommand(`${verb} agent-2 line one\nline two`)).toEqual({ kind: 'p2p', agent_id: 'agent-2', content: 'line one\nline two' });
      }
    });

    it('parses poll, feed and inbox with their optional numbers', () => {
      expect(parseCommand('poll')).toEqual({ kind: 'poll' });
      expect(parseCommand('check 10')).toEqual({ kind: 'poll', limit: 10 });
      expect(parseCommand('feed')).toEqual({ kind: 'feed', page: 1 });
      expect(parseCommand('feed page=3')).toEqual({ kind: 'feed', page: 3 });
      expect(parseCommand('inbox')).toEqual({ kind: 'inbox' });
      expect(usageOf('feed zero').problem).toBe("page must be a whole number from 1 to 100000, got 'zero'");
    });
  });

  describe('tasks', () => {
    it('splits title, description words and key=value fields when creating', () => {
      expect(parseCommand('task create "Write report" for Friday priority=P1 exec_mode=plan')).toEqual({
        kind: 'task.create', title: 'Write report', description: 'for Friday', fields: { priority: 'P1', exec_mode: 'plan' },
      });
      expect(parseCommand('task new Solo')).toEqual({ kind: 'task.create', title: 'Solo', fields: {} });
      expect(parseCommand('task create notes="a b" title=T')).toEqual({ kind: 'task.create', title: 'T', fields: { notes: 'a b' } });
    });

    it('treats a quoted key=value as description text when the key is quoted', () => {
      expect(parseCommand('task create T "x=1 is the goal"')).toEqual({ kind: 'task.create', title: 'T', description: 'x=1 is the goal', fields: {} });
    });

    it('refuses unknown task fields when a key is misspelled', () => {
      expect(usageOf('task update t1 stauts=done').problem).toMatch(/^unknown field 'stauts' \(use title, description/);
    });

    it('parses list filters and checks the limit', () => {
      expect(parseCommand('task list status=doing pipeline_id=p1')).toEqual({ kind: 'task.list', filters: { status: 'doing', pipeline_id: 'p1' } });
      expect(parseCommand('task ls')).toEqual({ kind: 'task.list', filters: {} });
      expect(usageOf('task list limit=0').problem).toBe("limit must be a whole number from 1 to 1000, got '0'");
      expect(usageOf('task list doing').problem).toBe("unexpected argument 'doing' (filters are key=value)");
    });

    itParses(
      [
        ['task detail t1', { kind: 'task.detail', task_id: 't1' }],
        ['task show t1', { kind: 'task.detail', task_id: 't1' }],
        ['task update t1 status=review output="all good"', { kind: 'task.update', task_id: 't1', fields: { status: 'review', output: 'all good' } }],
        ['task assign t1', { kind: 'task.assign', task_id: 't1' }],
        ['task assign t1 agent-9', { kind: 'task.assign', task_id: 't1', agent_id: 'agent-9' }],
        ['task run t1', { kind: 'task.run', task_id: 't1' }],
        ['task run t1 runner_agent_id=agent-9', { kind: 'task.run', task_id: 't1', runner_agent_id: 'agent-9' }],
        ['task review t1 APPROVE', { kind: 'task.review', task_id: 't1', action: 'approve', comment: '' }],
        ['task review t1 reject needs tests\nand docs', { kind: 'task.review', task_id: 't1', action: 'reject', comment: 'needs tests\nand docs' }],
        ['task delete t1', { kind: 'task.delete', task_id: 't1' }],
        ['task cancel t1', { kind: 'task cancel', args: { task_id: 't1' } }],
        ['task stop t1', { kind: 'task cancel', args: { task_id: 't1' } }],
        ['task deps add t2 t1', { kind: 'task.deps.add', task_id: 't2', depends_on_task_id: 't1' }],
        ['TASK DEPS REMOVE t2 t1', { kind: 'task.deps.remove', task_id: 't2', depends_on_task_id: 't1' }],
        ['task graph', { kind: 'task.graph' }],
        ['task graph p1', { kind: 'task.graph', pipeline_id: 'p1' }],
        ['task progress', { kind: 'task.progress' }],
      ] as const,
    );

    it('refuses a review action other than approve, reject or block', () => {
      const e = usageOf('task review t1 lgtm');
      expect(e.problem).toBe("review action must be approve, reject or block, got 'lgtm'");
      expect(e.usage).toBe('wtt task review <task_id> <approve|reject|block> [comment…]');
    });

    it('refuses an update without fields and a self-dependency', () => {
      expect(usageOf('task update t1').problem).toBe('nothing to update: give at least one key=value');
      expect(usageOf('task deps add t1 t1').problem).toBe('a task cannot depend on itself');
      expect(usageOf('task deps link t1 t2').problem).toBe("task deps takes add or remove, got 'link'");
    });

    it('shows the group help when task, pipeline, memory, delegate or blacklist has no sub-command', () => {
      expect(parseCommand('task')).toEqual({ kind: 'help', topic: 'task' });
      expect(parseCommand('@wtt pipe')).toEqual({ kind: 'help', topic: 'pipeline' });
      expect(parseCommand('recall')).toEqual({ kind: 'help', topic: 'memory' });
      expect(parseCommand('delegate')).toEqual({ kind: 'help', topic: 'delegate' });
      expect(parseCommand('ban')).toEqual({ kind: 'help', topic: 'blacklist' });
      expect(usageOf('task frob').message).toBe(
        "unknown task sub-command 'frob'\nUsage: wtt task <list|create|detail|update|assign|run|review|delete|deps|graph|progress|cancel> …",
      );
    });
  });

  describe('pipelines', () => {
    itParses(
      [
        ['pipeline list', { kind: 'pipeline.list' }],
        ['pipe ls', { kind: 'pipeline.list' }],
        ['pipeline create Release the weekly release', { kind: 'pipeline.create', name: 'Release', description: 'the weekly release' }],
        ['pipe new "Big one"', { kind: 'pipeline.create', name: 'Big one', description: '' }],
        ['pipeline add p1 "Analysis" Design "Build it"', { kind: 'pipeline.add', pipeline_id: 'p1', titles: ['Analysis', 'Design', 'Build it'] }],
        ['pipeline status p1', { kind: 'pipeline.status', pipeline_id: 'p1' }],
        ['pipeline update p1 auto_review=YES name=New', { kind: 'pipeline.update', pipeline_id: 'p1', fields: { auto_review: 'true', name: 'New' } }],
        ['pipeline update p1 auto_review=0', { kind: 'pipeline.update', pipeline_id: 'p1', fields: { auto_review: 'false' } }],
        ['pipeline delete p1', { kind: 'pipeline.delete', pipeline_id: 'p1' }],
        ['pipe remove p1', { kind: 'pipeline.delete', pipeline_id: 'p1' }],
        ['pipeline run p1', { kind: 'pipeline.run', pipeline_id: 'p1' }],
        ['pipeline execute p1', { kind: 'pipeline.run', pipeline_id: 'p1' }],
      ] as const,
    );

    it('refuses a non-boolean auto_review and an add without stages', () => {
      expect(usageOf('pipeline update p1 auto_review=maybe').problem).toBe("auto_review must be true or false, got 'maybe'");
      expect(usageOf('pipeline add p1').problem).toBe('missing <stage title>');
    });
  });

  describe('content, memory, delegation, blacklist, account', () => {
    itParses(
      [
        ['memory export t1', { kind: 'memory.export', topic_id: 't1', mode: 'timeline' }],
        ['recall export t1 mode=distilled limit=50', { kind: 'memory.export', topic_id: 't1', mode: 'distilled', limit: 50 }],
        ['memory export t1 distilled target_path=memory/x.md', { kind: 'memory.export', topic_id: 't1', mode: 'distilled', target_path: 'memory/x.md' }],
        ['memory read', { kind: 'memory.read' }],
        ['memory read memory/x.md tail_lines=5', { kind: 'memory.read', target_path: 'memory/x.md', tail_lines: 5 }],
        ['talk anyone into rust?', { kind: 'talk', text: 'anyone into rust?' }],
        ['random hello', { kind: 'talk', text: 'hello' }],
        ['rich t1 "Weekly report" # Title\n- item', { kind: 'rich', topic_id: 't1', title: 'Weekly report', markdown: '# Title\n- item' }],
        ['export t1', { kind: 'export', topic_id: 't1', format: 'md' }],
        ['export t1 MD', { kind: 'export', topic_id: 't1', format: 'md' }],
        ['preview https://example.org/a', { kind: 'preview', url: 'https://example.org/a' }],
        ['delegate create agent-2', { kind: 'delegate.create', target_agent_id: 'agent-2' }],
        ['delegate add agent-2', { kind: 'delegate.create', target_agent_id: 'agent-2' }],
        ['delegate grant agent-1', { kind: 'delegate.grant', manager_agent_id: 'agent-1' }],
        ['delegate list', { kind: 'delegate.list' }],
        ['delegate ls', { kind: 'delegate.list' }],
        ['delegate remove agent-2', { kind: 'delegate.remove', target_agent_id: 'agent-2' }],
        ['delegate delete agent-2', { kind: 'delegate.remove', target_agent_id: 'agent-2' }],
        ['delegate publish agent-2 t1 hi\nthere', { kind: 'delegate.publish', target_agent_id: 'agent-2', topic_id: 't1', content: 'hi\nthere' }],
        ['delegate p2p agent-2 agent-3 psst\nsecret', { kind: 'delegate.p2p', target_agent_id: 'agent-2', peer_agent_id: 'agent-3', content: 'psst\nsecret' }],
        ['blacklist add t1 agent-2', { kind: 'blacklist.add', topic_id: 't1', agent_id: 'agent-2', mode: 'permanent' }],
        ['ban add t1 agent-2 mode=temporary', { kind: 'blacklist.add', topic_id: 't1', agent_id: 'agent-2', mode: 'temporary' }],
        ['blacklist remove t1 agent-2', { kind: 'blacklist.remove', topic_id: 't1', agent_id: 'agent-2' }],
        ['blacklist list t1', { kind: 'blacklist.list', topic_id: 't1' }],
        ['bind', { kind: 'bind' }],
        ['config', { kind: 'config', action: 'show' }],
        ['cfg', { kind: 'config', action: 'show' }],
        ['whoami', { kind: 'config', action: 'show' }],
        ['config auto', { kind: 'config', action: 'auto' }],
        ['config INIT', { kind: 'config', action: 'auto' }],
        ['cfg setup', { kind: 'config', action: 'auto' }],
        ['whoami auto', { kind: 'config', action: 'auto' }],
      ] as const,
    );

    it('refuses pdf export and non-http previews with the reason', () => {
      expect(usageOf('export t1 pdf').problem).toMatch(/^format 'pdf' cannot be shown in chat/);
      expect(usageOf('preview file:///etc/passwd').problem).toBe("url must start with http:// or https://, got 'file:///etc/passwd'");
      expect(usageOf('config reset').problem).toBe("unknown config action 'reset' (use auto, init or setup)");
      expect(usageOf('memory export t1 mode=summary').problem).toBe("mode must be timeline or distilled, got 'summary'");
    });
  });

  describe('quoting', () => {
    it('reports an unterminated quote with its position when a word needs splitting', () => {
      const e = usageOf('task create "never closed');
      expect(e.problem).toBe('unterminated double quote at character 13');
      expect(e.usage).toBe('wtt task create <title> [description…] [key=value…]');
    });

    it('joins quoted and unquoted parts into one word when nothing separates them', () => {
      expect(parseCommand('task update t1 notes="two words"and\\ more')).toEqual({ kind: 'task.update', task_id: 't1', fields: { notes: 'two wordsand more' } });
    });
  });

  describe('parseArgv', () => {
    it('returns help when the arguments are missing or blank', () => {
      for (const argv of [[], [''], ['  '], ['', ''], ['@wtt'], ['@wtt ']]) expect(parseArgv(argv)).toEqual({ kind: 'help' });
    });

    it('uses a single argument with whitespace as the whole command when given one', () => {
      expect(argvToText(['publish t1 "hello world"'])).toBe('publish t1 "hello world"');
      expect(parseArgv(['publish t1 "hello world"'])).toEqual({ kind: 'publish', topic_id: 't1', content_type: 'text', content: 'hello world' });
      expect(parseArgv([`p2p agent-2 don't "quote" me\nok`])).toEqual({ kind: 'p2p', agent_id: 'agent-2', content: `don't "quote" me\nok` });
    });

    it('re-quotes words that the shell split when there are several arguments', () => {
      expect(argvToText(['task', 'create', 'Write report', 'x"y'])).toBe('task create "Write report" "x\\"y"');
      const cmd: Command = parseArgv(['task', 'create', 'Write report', 'due Friday', 'priority=P1']);
      expect(cmd).toEqual({ kind: 'task.create', title: 'Write report', description: 'due Friday', fields: { priority: 'P1' } });
    });

    it('keeps a key=value word a field when the shell removed the quotes around its value', () => {
      expect(argvToText(['task', 'update', 't1', 'notes=two words', 'output='])).toBe('task update t1 notes="two words" output=""');
      expect(parseArgv(['task', 'update', 't1', 'notes=two words', 'output='])).toEqual({
        kind: 'task.update', task_id: 't1', fields: { notes: 'two words', output: '' },
      });
    });

    it('joins the content words with one space when the shell already split them', () => {
      expect(parseArgv(['publish', 't1', 'line 1\nline 2'])).toEqual({ kind: 'publish', topic_id: 't1', content_type: 'text', content: 'line 1\nline 2' });
      expect(parseArgv(['@wtt', 'p2p', 'agent-2', "it's", 'fine'])).toEqual({ kind: 'p2p', agent_id: 'agent-2', content: "it's fine" });
      expect(parseArgv(['publish', 't1', 'say', '"hi"'])).toEqual({ kind: 'publish', topic_id: 't1', content_type: 'text', content: 'say "hi"' });
    });
  });
});
