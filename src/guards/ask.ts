/**
 * When a guard stops work, the chat is asked: continue, mute or block (issue 10). The buttons use
 * the plain `{label, value}` form; each value is the `wtt` command a click maps to, and stays within
 * Telegram's 64 bytes of callback data (long peer ids are refused rather than cut). Pure.
 */
export const CALLBACK_DATA_MAX_BYTES = 64;

export interface GuardQuestion {
  text: string;
  buttons: Array<{ label: string; value: string }>;
}

export type GuardLimit = 'hops' | 'budget' | 'peer';

export function guardQuestion(limit: GuardLimit, peer: string, reason: string): GuardQuestion | undefined {
  const values = [
    { label: 'Continue', value: `wtt guard continue ${peer}` },
    { label: 'Mute 1 h', value: `wtt guard mute ${peer}` },
    { label: 'Block', value: `wtt guard block ${peer}` },
  ];
  if (values.some((v) => Buffer.byteLength(v.value, 'utf8') > CALLBACK_DATA_MAX_BYTES)) return undefined;
  const what = limit === 'hops' ? 'an agent chain got too long' : limit === 'budget' ? 'a peer used up its budget' : 'a peer is not allowed';
  return { text: `⚠ Work stopped: ${what}. ${reason}. Continue, mute or block ${peer}?`, buttons: values };
}
