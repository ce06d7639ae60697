/**
 * `wtt <words>`: one entry point, lazy routes so that a command loads only what it uses.
 * Each route module exports `main(argv: string[]): Promise<number>` (the exit code).
 */
type Route = () => Promise<{ main(argv: string[]): Promise<number> }>;

const ROUTES: Record<string, Route> = {
  hub: () => import('./hub/main.js'),
};

export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  const route = first !== undefined ? ROUTES[first] : undefined;
  if (route) return (await route()).main(rest);
  process.stderr.write(`wtt: unknown command '${argv.join(' ')}'\n`);
  return 2;
}
