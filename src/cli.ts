/**
 * `wtt <words>`: one entry point, lazy routes so that a command loads only what it uses.
 * Each route module exports `main(argv: string[]): Promise<number>` (the exit code).
 * A first word that is not a route is an `@wtt` command: a running daemon answers it
 * (src/commands/fast-path.ts), else the CLI runs it (src/commands/main.ts); no words → help.
 */
type Route = () => Promise<{ main(argv: string[]): Promise<number> }>;

const ROUTES: Record<string, Route> = {
  daemon: () => import('./runtime/daemon.js'),
  hub: () => import('./hub/main.js'),
  inspect: () => import('./inspect/main.js'),
  service: () => import('./service/main.js'),
  status: () => import('./runtime/status.js'),
  tail: () => import('./runtime/tail.js'),
  up: () => import('./runtime/up.js'),
};

export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  const route = first !== undefined && Object.prototype.hasOwnProperty.call(ROUTES, first) ? ROUTES[first] : undefined;
  if (route) return (await route()).main(rest);
  // A running daemon answers first, before the configuration and zod load (fast-path.ts).
  const answered = await (await import('./commands/fast-path.js')).viaDaemon(argv);
  if (answered !== undefined) return answered;
  return (await import('./commands/main.js')).main(argv);
}
