/**
 * The console route (`console:stdout`): used when no route is configured, so that `wtt up` shows
 * what would have reached the chat. Each message is written as `\n--- [<UTC time>] ---\n<text>\n`.
 */
import { DeliveryError, type AdapterDeps, type ImAdapter, type SendRequest, type SendResult } from './delivery.js';
import { fileEntry } from './file.js';

export const CONSOLE_ADAPTER = 'console';

export class ConsoleAdapter implements ImAdapter {
  readonly name = CONSOLE_ADAPTER;
  readonly maxChars = 1_000_000;

  constructor(private readonly deps: AdapterDeps) {}

  send(req: SendRequest): Promise<SendResult> {
    const out = this.deps.stdout ?? process.stdout;
    const entry = fileEntry(req.text, (this.deps.now ?? Date.now)());
    return new Promise((resolve, reject) => {
      try {
        out.write(entry, (err?: Error | null) => {
          if (err) reject(new DeliveryError('transient', CONSOLE_ADAPTER, `cannot write to stdout (${(err as NodeJS.ErrnoException).code ?? err.message})`));
          else resolve({ adapter: CONSOLE_ADAPTER });
        });
      } catch (e) {
        reject(new DeliveryError('transient', CONSOLE_ADAPTER, `cannot write to stdout (${(e as Error).message})`));
      }
    });
  }
}
