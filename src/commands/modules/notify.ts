/** `wtt notify [<topic_id> on|off|digest]`: what reaches the chat from a topic (and the policy in force). */
import { defineCommand } from '../module.js';
import { TOPIC_NOTIFY_MODES, type TopicNotifyMode } from '../../runtime/delivery-states.js';
import { withStore } from './delivery-store.js';

type NotifyArgs = { topic_id?: undefined } | { topic_id: string; mode: TopicNotifyMode };

const MEANING: Record<TopicNotifyMode, string> = {
  on: 'every message of this topic reaches the chat',
  off: 'nothing from this topic reaches the chat, mentions included',
  digest: 'messages of this topic arrive as one digest per window',
};

export const notify = defineCommand({
  name: 'notify',
  section: 'Delivery',
  usage: {
    args: '[<topic_id> on|off|digest]',
    summary: 'Choose what a topic sends to the chat; alone, show the settings and the policy (WTT_NOTIFY)',
  },
  parse: (r): NotifyArgs => {
    const topic = r.optWord()?.value;
    if (topic === undefined) return {};
    const mode = r.word('on|off|digest').toLowerCase();
    r.end();
    if (!(TOPIC_NOTIFY_MODES as readonly string[]).includes(mode)) r.problem(`the setting is on, off or digest, got '${mode}'`);
    return { topic_id: topic, mode: mode as TopicNotifyMode };
  },
  run: (args, ctx) =>
    withStore(ctx, (store) => {
      if (args.topic_id !== undefined) {
        store.setTopicNotify(args.topic_id, args.mode);
        return `Topic ${args.topic_id}: notify ${args.mode} (${MEANING[args.mode]}).`;
      }
      const p = ctx.config.notify;
      const kinds = p.kinds === 'all' ? 'all' : [...p.kinds].join(', ') || 'none';
      const q = p.quietHours;
      const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
      const lines = [
        `Policy (WTT_NOTIFY): ${kinds}; own messages are never delivered`,
        `Quiet hours: ${q ? `${hhmm(q.startMin)}-${hhmm(q.endMin)} (held, then one digest)` : 'none'}`,
        `Bursts: more than ${p.digestBurst} messages from one topic within ${p.digestWindowMs / 1000} s become one digest; at most ${p.chatRatePerMin} sends a minute per chat`,
      ];
      const topics = store.outbox.topicNotifyAll();
      lines.push(topics.length === 0 ? 'Topic settings: none (wtt notify <topic_id> on|off|digest)' : 'Topic settings:');
      for (const t of topics) lines.push(`  ${t.topic_id}: ${t.mode}`);
      return lines.join('\n');
    }),
});
