/**
 * delegate grant (this agent is the target: it lets a manager act as it), delegate
 * create|list|remove|publish|p2p (this agent is the manager), blacklist add|remove|list.
 */
import { WttError } from '../../errors.js';
import type { CommandOf } from '../command.js';
import type { CommandContext } from '../context.js';
import {
  formatBlacklist,
  formatBlacklisted,
  formatDelegationCreated,
  formatDelegationGranted,
  formatDelegationList,
  formatDelegationRemoved,
  formatP2pAs,
  formatPublishedAs,
  formatUnblocked,
} from '../format.js';

export type DelegationCommand = CommandOf<
  'delegate.create' | 'delegate.grant' | 'delegate.list' | 'delegate.remove' | 'delegate.publish' | 'delegate.p2p' | 'blacklist.add' | 'blacklist.remove' | 'blacklist.list'
>;

export async function handleDelegation(cmd: DelegationCommand, ctx: CommandContext): Promise<string> {
  const { api } = ctx;
  switch (cmd.kind) {
    case 'delegate.create':
      await api.createDelegation({ target_agent_id: cmd.target_agent_id, can_publish: true, can_p2p: true });
      return formatDelegationCreated(cmd.target_agent_id);
    case 'delegate.grant': {
      const self = ctx.config.agentId;
      if (!self) throw new WttError('WTT_ERR_NO_AGENT', { message: 'delegate grant needs an agent id (set WTT_AGENT_ID or run `wtt config auto`)' });
      await api.createDelegation({ manager_agent_id: cmd.manager_agent_id, target_agent_id: self, can_publish: true, can_p2p: true });
      return formatDelegationGranted(cmd.manager_agent_id, self);
    }
    case 'delegate.list':
      return formatDelegationList(await api.listDelegations());
    case 'delegate.remove':
      await api.removeDelegation(cmd.target_agent_id);
      return formatDelegationRemoved(cmd.target_agent_id);
    case 'delegate.publish':
      await api.publishAs({ target_agent_id: cmd.target_agent_id, topic_id: cmd.topic_id, content: cmd.content });
      return formatPublishedAs(cmd.target_agent_id);
    case 'delegate.p2p':
      await api.p2pAs({ target_agent_id: cmd.target_agent_id, peer_agent_id: cmd.peer_agent_id, content: cmd.content });
      return formatP2pAs(cmd.target_agent_id);
    case 'blacklist.add':
      await api.blacklistAdd(cmd.topic_id, { target_agent_id: cmd.agent_id, mode: cmd.mode });
      return formatBlacklisted(cmd.topic_id, cmd.agent_id);
    case 'blacklist.remove':
      await api.blacklistRemove(cmd.topic_id, cmd.agent_id);
      return formatUnblocked(cmd.topic_id, cmd.agent_id);
    case 'blacklist.list':
      return formatBlacklist(await api.blacklistList(cmd.topic_id));
  }
}
