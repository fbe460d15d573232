/**
 * A Batcher per key: calls with the same key are grouped as Batcher groups them (no timer: the
 * first runs at once, those arriving meanwhile go together in the next batch); calls with
 * different keys never share a batch and do not wait for each other. A key's queue is dropped
 * once its last call has settled, so the map holds only keys in use.
 */
import { Batcher } from "./batcher.js";

export class KeyedBatcher<K, In, Out> {
  readonly #queues = new Map<K, { batcher: Batcher<In, Out>; waiting: number }>();

  constructor(
    /** Runs a batch of one key; returns one result per input, in order. */
    private readonly run: (key: K, inputs: In[]) => Promise<Out[]>,
    private readonly maxBatch = 500,
    /** See Batcher. */
    private readonly nextTurn = false,
  ) {}

  async call(key: K, input: In): Promise<Out> {
    let queue = this.#queues.get(key);
    if (!queue) {
      queue = {
        batcher: new Batcher<In, Out>(
          (inputs) => this.run(key, inputs),
          this.maxBatch,
          this.nextTurn,
        ),
        waiting: 0,
      };
      this.#queues.set(key, queue);
    }
    queue.waiting++;
    try {
      return await queue.batcher.call(input);
    } finally {
      if (--queue.waiting === 0) this.#queues.delete(key);
    }
  }

  /** How many keys have calls waiting or running (for tests). */
  get size(): number {
    return this.#queues.size;
  }
}
