import { describe, expect, it } from 'vitest';
import * as f from '../../src/commands/format.js';
import { stageRows } from '../../src/commands/stages.js';
import { helpFor, overview } from '../../src/commands/usage.js';
import { Message, Task, type Pipeline, type TaskGraph, type Topic } from '../../src/protocol/index.js';

/** Outputs are compared with reviewed files under test/golden/format/ (update: vitest -u, then review the diff). */
const golden = (name: string) => `../golden/format/${name}.txt`;

const topics: Topic[] = [
  { id: 'topic-ai-0001', name: 'AI news', description: 'Daily links about models', type: 'broadcast', member_count: 12, visibility: 'public', join_method: 'open', creator_agent_id: 'agent-aaaaaaaaaaaa', created_at: '2026-01-02T03:04:05.000Z' },
  { id: 'topic-chat-02', name: 'Rust chat', type: 'discussion', member_count: 3, my_role: 'owner' },
  { id: 'topic-xyz-003', name: 'Mystery', topic_type: 'weird' },
];

const msg = (over: Record<string, unknown>) =>
  Message.parse({ id: `m-${Math.random()}`, topic_id: 'topic-ai-0001', sender_id: 'agent-aaaaaaaaaaaa', content: 'hello', created_at: '2026-01-02T03:04:05.000Z', ...over });

const task = (over: Record<string, unknown>) =>
  Task.parse({ id: '11111111-2222-3333-4444-555555555555', title: 'Write report', status: 'todo', ...over });

describe('format', () => {
  it('renders the public topic list when topics exist and a notice when none', async () => {
    await expect(f.formatTopicList(topics)).toMatchFileSnapshot(golden('list'));
    expect(f.formatTopicList([])).toBe('No public topics found');
  });

  it('renders search results with the keyword when topics match and a notice when none', async () => {
    await expect(f.formatFind('ai', topics.slice(0, 1))).toMatchFileSnapshot(golden('find'));
    expect(f.formatFind('zzz', [])).toBe('No results for "zzz"');
  });

  it('renders topic creation, deletion, join and leave with the name beside the id when known', () => {
    expect(f.formatTopicCreated(topics[0] as Topic)).toBe('Topic created: AI news\nType: broadcast\nID: topic-ai-0001');
    expect(f.formatTopicDeleted('topic-ai-0001')).toBe('Topic deleted: topic-ai-0001');
    expect(f.formatJoined('topic-ai-0001', 'AI news')).toBe('Joined topic: AI news (topic-ai-0001)');
    expect(f.formatLeft('topic-ai-0001')).toBe('Left topic: topic-ai-0001');
  });

  it('renders topic detail with dashes when fields are missing', async () => {
    await expect(f.formatTopicDetail(topics[0] as Topic)).toMatchFileSnapshot(golden('detail'));
    expect(f.formatTopicDetail({ id: 'x', name: 'Bare' })).toBe(
      '[?] Bare\nType: ? | Visibility: -\nJoin: - | Members: -\nCreator: -\nID: x\nCreated: -',
    );
  });

  it('renders subscriptions with the role, member when none is given', async () => {
    await expect(f.formatSubscribed(topics)).toMatchFileSnapshot(golden('subscribed'));
    expect(f.formatSubscribed([])).toBe('No subscriptions');
  });

  it('renders history oldest first with icons for non-text messages', async () => {
    const history = [
      msg({ content: 'first', topic_name: 'AI news' }),
      msg({ content: 'https://x/y.png', content_type: 'image', sender_id: 'agent-bbbbbbbbbbbb', created_at: '2026-01-02T03:05:00.000Z' }),
      msg({ content: 'line 1\nline 2', created_at: undefined, timestamp: '2026-01-02T03:06:00Z' }),
    ];
    await expect(f.formatHistory(history, 'AI news')).toMatchFileSnapshot(golden('history'));
    expect(f.formatHistory([])).toBe('No messages in this topic');
  });

  it('renders poll lines with topic names, falling back to a short id when none is known', async () => {
    const polled = [
      msg({ content: 'from a known topic' }),
      msg({ content: 'named on the message', topic_id: 'topic-chat-02', topic_name: 'Rust chat' }),
      msg({ content: 'unknown topic', topic_id: 'p2p-0123456789abcdef' }),
      msg({ content: 'a file', content_type: 'file', topic_id: 'short' }),
    ];
    await expect(f.formatPoll(polled, [{ id: 'topic-ai-0001', name: 'AI news' }])).toMatchFileSnapshot(golden('poll'));
    expect(f.formatPoll([])).toBe('No new messages');
  });

  it('renders publish and p2p confirmations with the content icon and topic name', () => {
    expect(f.formatPublished('topic-ai-0001', 'text', 'AI news')).toBe('[TXT] Published to topic AI news (topic-ai-0001)');
    expect(f.formatPublished('t1', 'image')).toBe('[IMG] Published to topic t1');
    expect(f.formatP2pSent('agent-2')).toBe('P2P message sent to agent-2');
  });

  it('renders feed and inbox, cutting long contents', async () => {
    const long = 'x'.repeat(150);
    await expect(f.formatFeed(2, [msg({ content: long, topic_name: 'AI news' }), msg({ content: 'short', topic_id: 'topic-unnamed-1' })])).toMatchFileSnapshot(golden('feed'));
    expect(f.formatFeed(1, [])).toBe('Feed is empty');
    await expect(
      f.formatInbox([
        { peer_agent_id: 'agent-bbbbbbbbbbbb', last_message: { content: 'y'.repeat(80) }, unread_count: 2 },
        { peer_agent_id: 'agent-cccccccccccc', last_message: { content: 'seen' }, unread_count: 0 },
      ]),
    ).toMatchFileSnapshot(golden('inbox'));
    expect(f.formatInbox([])).toBe('Inbox is empty');
  });

  it('renders the task list with status icons and priority, normal when missing', async () => {
    await expect(
      f.formatTaskList([
        task({ priority: 'P1', owner_agent_id: 'agent-aaaaaaaaaaaa' }),
        task({ id: 't-2', title: 'Ship it', status: 'doing', pipeline_id: 'pipe-1' }),
        task({ id: 't-3', title: 'Check', status: 'review' }),
        task({ id: 't-4', title: 'Done one', status: 'done' }),
        task({ id: 't-5', title: 'Stuck', status: 'blocked' }),
        task({ id: 't-6', title: 'Gone', status: 'cancelled' }),
      ]),
    ).toMatchFileSnapshot(golden('task-list'));
    expect(f.formatTaskList([])).toBe('No tasks found');
  });

  it('renders task detail with clipped output when it is long', async () => {
    const t = task({
      status: 'review', priority: 'P2', task_type: 'feature', task_mode: 'single', pipeline_id: 'default', owner_agent_id: 'agent-a', runner_agent_id: 'agent-b',
      topic_id: 'topic-task-1', created_at: '2026-01-02T03:04:05Z', started_at: '2026-01-02T03:05:05Z', description: 'The quarterly report', notes: 'see plan',
      output: `${'o'.repeat(2000)}tail`,
    });
    await expect(f.formatTaskDetail(t)).toMatchFileSnapshot(golden('task-detail'));
  });

  it('renders task actions in the original shapes', () => {
    expect(f.formatTaskCreated({ id: 't-1', title: 'Write report', topic_id: 'topic-t1' })).toBe('Task created: Write report\nID: t-1\nTopic: topic-t1');
    expect(f.formatTaskUpdated('t-1', 'review')).toBe('Task t-1 updated (status: review)');
    expect(f.formatTaskAssigned('t-1', 'agent-2')).toBe('Task t-1 assigned to agent-2');
    expect(f.formatTaskStarted('t-1', 'agent-2')).toBe('Task t-1 started (runner: agent-2)');
    expect(f.formatTaskReviewed('t-1', 'approve', 'done')).toBe('Task t-1: approve (status: done)');
    expect(f.formatTaskCancelled('t-1')).toBe('Task t-1 cancelled');
    expect(f.formatDependency('add', 't-2', 't-1')).toBe('Dependency added: t-2 -> t-1');
    expect(f.formatDependency('remove', 't-2', 't-1')).toBe('Dependency removed: t-2 -/-> t-1');
  });

  it('reads task_id and depends_on_task_id when rendering graph edges', async () => {
    const g: TaskGraph = {
      nodes: [
        { id: 'a', title: 'Analysis', status: 'done' },
        { id: 'b', title: 'Build', status: 'doing' },
        { id: 'c', title: 'Check', status: 'todo' },
      ],
      edges: [
        { task_id: 'b', depends_on_task_id: 'a' },
        { task_id: 'c', depends_on_task_id: 'b', mode: 'finish_to_start' },
      ],
    };
    const text = f.formatTaskGraph(g);
    expect(text).toContain('  b -> a\n  c -> b');
    await expect(text).toMatchFileSnapshot(golden('task-graph'));
    expect(f.formatTaskGraph({ nodes: [], edges: [] })).toBe('Task DAG: 0 nodes, 0 edges');
  });

  it('caps the graph at 20 nodes and 20 edges when it is larger', () => {
    const nodes = Array.from({ length: 25 }, (_, i) => ({ id: `n${i}`, title: `T${i}`, status: 'todo' }));
    const edges = nodes.slice(1).map((n, i) => ({ task_id: n.id, depends_on_task_id: `n${i}` }));
    const text = f.formatTaskGraph({ nodes, edges });
    expect(text.split('\n').filter((l) => l.startsWith('  [todo]'))).toHaveLength(20);
    expect(text).toContain('  ... and 5 more');
    expect(text).toContain('  ... and 4 more');
  });

  it('renders progress clamped to 0..100 when values are out of range', () => {
    expect(f.formatTaskProgress({ a: 50, b: 140, c: -3 }, new Map([['a', 'Analysis']]))).toBe('Task Progress:\n\n  a Analysis: 50%\n  b: 100%\n  c: 0%');
    expect(f.formatTaskProgress({})).toBe('No progress data');
  });

  it('renders pipelines with the auto-review mark and status counts', async () => {
    const ps: Pipeline[] = [
      { id: 'default', name: 'Default', task_count: 0, stats: { todo: 0, doing: 0, review: 0, done: 0, blocked: 0 } },
      { id: 'pipe-1', name: 'Release', auto_review: true, task_count: 3, stats: { todo: 1, doing: 1, review: 0, done: 1, blocked: 0 } },
      { id: 'pipe-2', name: 'Old' },
    ];
    await expect(f.formatPipelineList(ps)).toMatchFileSnapshot(golden('pipeline-list'));
    expect(f.formatPipelineList([])).toBe('No pipelines');
    expect(f.formatPipelineCreated({ id: 'pipe-1', name: 'Release' })).toBe('Pipeline created: Release\nID: pipe-1');
    expect(f.formatPipelineStarted('pipe-1', 1)).toBe('Pipeline pipe-1 execution started: 1 task dispatched');
  });

  it('renders added stages with what each runs after', async () => {
    await expect(
      f.formatPipelineAdded('pipe-1', [
        { task: { id: 't-a', title: 'Analysis' }, after: ['t-old'] },
        { task: { id: 't-b', title: 'Build' }, after: ['t-a'] },
      ]),
    ).toMatchFileSnapshot(golden('pipeline-add'));
  });

  it('renders the stage table in dependency order when the pipeline has tasks', async () => {
    const rows = stageRows(
      [
        { id: 't-c', title: 'Check', status: 'todo' },
        { id: 't-a', title: 'Analysis', status: 'done' },
        { id: 't-b1', title: 'Build backend', status: 'doing' },
        { id: 't-b2', title: 'Build\nfrontend', status: 'review' },
      ],
      [
        { task_id: 't-b1', depends_on_task_id: 't-a' },
        { task_id: 't-b2', depends_on_task_id: 't-a' },
        { task_id: 't-c', depends_on_task_id: 't-b1' },
        { task_id: 't-c', depends_on_task_id: 't-b2' },
      ],
      { 't-a': 100, 't-b1': 12 },
    );
    await expect(f.formatPipelineStatus({ id: 'pipe-1', name: 'Release' }, rows)).toMatchFileSnapshot(golden('pipeline-status'));
    expect(f.formatPipelineStatus({ id: 'pipe-2', name: 'Empty' }, [])).toBe(
      'Pipeline Empty (pipe-2): no tasks yet (add stages: wtt pipeline add pipe-2 "<stage title>" …)',
    );
  });

  it('renders content, memory, delegation and blacklist results in the original shapes', async () => {
    expect(f.formatMemoryExported({ target_path: 'memory/recall-memory.md', count: 3 })).toBe('Topic exported to: memory/recall-memory.md (3 messages)');
    expect(f.formatMemoryExported({})).toBe('Topic exported to: ?');
    expect(f.formatMemoryRead('  ')).toBe('Memory file is empty');
    expect(f.formatMemoryRead('z'.repeat(2001))).toBe(`${'z'.repeat(2000)}\n...(truncated, 1 more characters)`);
    await expect(f.formatTalk({ topics: [{ id: 'topic-ai-0001', name: 'AI news' }, { id: 'topic-2' }], published: true })).toMatchFileSnapshot(golden('talk'));
    expect(f.formatTalk({ matched: [] })).toBe('Talk: matched 0 topics');
    expect(f.formatRichPublished('Weekly')).toBe('Rich content published: Weekly');
    expect(f.formatExport('# Topic\n')).toBe('# Topic\n');
    await expect(f.formatPreview({ title: 'Example', description: 'An example page', image: 'https://x/i.png', site_name: 'Ex' })).toMatchFileSnapshot(golden('preview'));
    expect(f.formatPreview({})).toBe('URL Preview:\n  Title: -\n  Description: -');
    expect(f.formatDelegationCreated('agent-2')).toBe('Delegation created for agent-2');
    expect(f.formatDelegationList([{ manager_agent_id: 'm', target_agent_id: 'agent-2', can_publish: true, can_p2p: false }])).toBe(
      'Delegations:\n  -> agent-2 (publish: true, p2p: false)',
    );
    expect(f.formatDelegationList([])).toBe('No delegations');
    expect(f.formatDelegationRemoved('agent-2')).toBe('Delegation removed for agent-2');
    expect(f.formatPublishedAs('agent-2')).toBe('Published as agent-2');
    expect(f.formatP2pAs('agent-2')).toBe('P2P sent as agent-2');
    expect(f.formatBlacklisted('t1', 'agent-2')).toBe('Agent agent-2 blacklisted in topic t1');
    expect(f.formatUnblocked('t1', 'agent-2')).toBe('Agent agent-2 unblocked in topic t1');
    expect(f.formatBlacklist([{ agent_id: 'agent-2', mode: 'permanent' }, { agent_id: 'agent-3', mode: 'temporary' }])).toBe(
      'Blacklisted agents:\n  - agent-2\n  - agent-3 (temporary)',
    );
    expect(f.formatBlacklist([])).toBe('No blacklisted agents');
  });

  it('renders the help overview and per-command help', async () => {
    await expect(overview()).toMatchFileSnapshot(golden('help'));
    await expect(helpFor('task')).toMatchFileSnapshot(golden('help-task'));
    expect(helpFor('publish')).toBe(
      'Usage: wtt publish <topic_id> [--type <content_type>] <content…>\n\nPublish a message to a topic (content may span several lines)\nAliases: post, send\ncontent_type: text (default), image, audio, video, link, file, mixed',
    );
  });
});
