/**
 * The executors `WTT_EXECUTOR` may name. Light (the configuration imports it); the factories are in
 * registry.ts. Adding an executor: its name here, its factory there, its module beside them.
 */
export const EXECUTOR_NAMES = ['command', 'openclaw'] as const;
export type ExecutorName = (typeof EXECUTOR_NAMES)[number];

export function isExecutorName(name: string): name is ExecutorName {
  return (EXECUTOR_NAMES as readonly string[]).includes(name);
}
