import { inspect } from 'node:util';
import { maskToken } from '../config.js';

const REDACTED = '[Redacted]';

/**
 * A token that may sit in machine context, events and actor input without leaking: JSON
 * (snapshots, the inspector, pino), `String()` and `util.inspect` all give `[Redacted]`.
 * Only `reveal()` gives the value, at the one place that sends or stores it.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  /** Masked for display: `abcd…wxyz` (`a…z` when 8 characters or fewer). */
  masked(): string {
    return maskToken(this.#value);
  }

  toJSON(): string {
    return REDACTED;
  }

  toString(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }

  static of(value: string | undefined): Secret | undefined {
    return value ? new Secret(value) : undefined;
  }
}
