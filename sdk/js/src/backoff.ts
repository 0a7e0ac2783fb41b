/** When to try reconnecting: exponential backoff with jitter, as a pure value. */

export interface ReconnectOptions {
  /** Milliseconds before the first attempt after a loss (default 500). */
  readonly initial?: number;
  /** Longest wait between attempts, in ms (default 30 000). */
  readonly maximum?: number;
  /** Growth of the wait per failed attempt (default 2). */
  readonly multiplier?: number;
  /** Share of each wait (0..1) that is randomised away (default 0.5). */
  readonly jitter?: number;
  /** Give up after this many failed attempts in a row (default: never). */
  readonly maxAttempts?: number;
  /** The random source, 0 <= value < 1 (default `Math.random`); replace it for deterministic tests. */
  readonly random?: () => number;
}

/**
 * Attempt `n` (0-based) waits `min(maximum, initial * multiplier ** n)` ms,
 * less a random share of up to `jitter` of it, so that many clients cut off
 * together do not all come back at the same instant. The first attempt after
 * a loss waits too: a server that just dropped everyone should not be hit at once.
 */
export class ReconnectPolicy {
  readonly initial: number;
  readonly maximum: number;
  readonly multiplier: number;
  readonly jitter: number;
  readonly maxAttempts: number | undefined;
  readonly random: () => number;

  constructor(options: ReconnectOptions = {}) {
    this.initial = options.initial ?? 500;
    this.maximum = options.maximum ?? 30_000;
    this.multiplier = options.multiplier ?? 2;
    this.jitter = options.jitter ?? 0.5;
    this.maxAttempts = options.maxAttempts;
    this.random = options.random ?? Math.random;
    if (!(this.initial >= 0 && this.maximum >= this.initial)) throw new RangeError("need 0 <= initial <= maximum");
    if (!(this.multiplier >= 1)) throw new RangeError("multiplier must be at least 1");
    if (!(this.jitter >= 0 && this.jitter <= 1)) throw new RangeError("jitter must be between 0 and 1");
    if (this.maxAttempts !== undefined && !(Number.isInteger(this.maxAttempts) && this.maxAttempts >= 1)) {
      throw new RangeError("maxAttempts must be an integer of at least 1");
    }
  }

  /** Milliseconds to wait before attempt `attempt` (0-based). */
  delay(attempt: number): number {
    const base = Math.min(this.maximum, this.initial * this.multiplier ** Math.min(attempt, 64));
    return base * (1 - this.jitter * this.random());
  }
}
