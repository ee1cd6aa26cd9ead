/**
 * Which loaded model runs next, when generations on several models are under way at once (Compare, two chats).
 *
 * The engine has one JS thread, so their runs take turns anyway; left alone they would alternate every token. Each
 * model's ONNX Runtime session has its own worker threads, which keep spinning for a while after a run ends (ORT's
 * default: turning it off cost one model alone 0.79–0.98× its rate over three runs of bench/compare.ts) — and with
 * per-token alternation that is exactly the other model's run, so on two cores each model got 0.59–0.60 of a fair
 * half of its rate alone. Here a model keeps the turn for a slice of time while another waits, then passes it on, so
 * the spin after a switch costs a fraction of a slice instead of most of every step (250 ms turns: 0.88–0.95 of a
 * fair half). A model alone never waits.
 */

/** Long enough that a switch's spin-down is a small part of it, short enough that both sides of Compare stream. */
export const DEFAULT_TURN_SLICE_MS = 250;

export class Turns {
  private holder: string | undefined;
  private heldSince = 0;
  private readonly waiting: { owner: string; start: () => void }[] = [];

  constructor(
    private readonly sliceMs = DEFAULT_TURN_SLICE_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Resolves when `owner` may start its next run: at once while it holds the turn and its slice lasts, or nobody waits. */
  take(owner: string): Promise<void> {
    if (this.holder === undefined) {
      this.give(owner);
      return Promise.resolve();
    }
    if (this.holder === owner && (this.waiting.length === 0 || this.now() - this.heldSince < this.sliceMs)) return Promise.resolve();
    const turn = new Promise<void>((start) => this.waiting.push({ owner, start }));
    if (this.holder === owner) this.passOn(); // its slice is over: to the back of the line
    return turn;
  }

  /** `owner` has no more runs for now (its generation ended): the next in line starts. */
  leave(owner: string): void {
    if (this.holder === owner) this.passOn();
  }

  /**
   * `owner`'s generation was stopped: if it is waiting for the turn, it starts at once, out of turn (the holder keeps
   * the turn), so the stop takes effect after its one step instead of after the rest of the holder's slice.
   */
  release(owner: string): void {
    const i = this.waiting.findIndex((w) => w.owner === owner);
    if (i >= 0) this.waiting.splice(i, 1)[0].start();
  }

  /** Who runs now, and how many wait (for tests and diagnostics). */
  get state(): { holder: string | undefined; waiting: number } {
    return { holder: this.holder, waiting: this.waiting.length };
  }

  private give(owner: string): void {
    this.holder = owner;
    this.heldSince = this.now();
  }

  private passOn(): void {
    const next = this.waiting.shift();
    if (!next) {
      this.holder = undefined;
      return;
    }
    this.give(next.owner);
    next.start();
  }
}
