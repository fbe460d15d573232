/**
 * Shares one statement between concurrent callers, with no timer: when no batch is running,
 * a call starts one at once; calls that arrive meanwhile wait and go together in the next.
 * Under load, N concurrent calls cost a handful of round trips instead of N; alone, a call
 * costs what it did. Every caller's promise settles with its own result, after its batch ran;
 * if the batch fails, every caller in it fails.
 *
 * `nextTurn`: a batch starts on the event loop's next turn (setImmediate, no fixed wait), not
 * in the same one. For an in-process database (PGlite), whose statements complete without
 * ever yielding to I/O: otherwise each request runs to its end inside its own socket's
 * callback, and the calls of requests read in the same turn never meet.
 */
export class Batcher<In, Out> {
  #queue: { input: In; resolve: (out: Out) => void; reject: (error: unknown) => void }[] = [];
  #running = false;

  constructor(
    /** Runs a batch; returns one result per input, in order. */
    private readonly run: (inputs: In[]) => Promise<Out[]>,
    private readonly maxBatch = 500,
    private readonly nextTurn = false,
    private readonly take?: (waiting: readonly In[]) => number,
  ) {}

  call(input: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.#queue.push({ input, resolve, reject });
      if (!this.#running) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#running = true;
    while (this.#queue.length > 0) {
      if (this.nextTurn) await new Promise((resolve) => setImmediate(resolve));
      let n = this.maxBatch;
      if (this.take) {
        const waiting = this.#queue.slice(0, this.maxBatch).map((b) => b.input);
        n = Math.min(this.maxBatch, Math.max(1, this.take(waiting)));
      }
      const batch = this.#queue.splice(0, n);
      try {
        const outputs = await this.run(batch.map((b) => b.input));
        batch.forEach((b, i) => b.resolve(outputs[i]!));
      } catch (error) {
        for (const b of batch) b.reject(error);
      }
    }
    this.#running = false;
  }
}
