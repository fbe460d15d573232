/**
 * The rotation executor (SPEC §11): on every replica, a loop that claims due rotation jobs
 * with a lease (`FOR UPDATE SKIP LOCKED`: two replicas never claim one job at once) and drives
 * each through its steps (services/rotation-job-engine.ts) until it ends, waits (a backoff),
 * or the lease is lost. A job whose lease expired (its replica died or stalled) is claimed by
 * another replica, which logs the takeover (`leaseResumed`) and replays the step; every step
 * commits only while its runner holds the lease, so a replay does no harm and a stalled
 * replica that wakes up commits nothing.
 *
 * Started with the server's jobs (off in tests unless asked); tests drive it with `tick()`.
 */
import { BASE62, randomString } from "@coffer/core";
import type { Deps } from "../deps.js";
import type { RotationJobEngine } from "../services/rotation-job-engine.js";
import type { ClaimedJob } from "../stores/rotation-job-store.js";
import { rotationJobStore } from "../stores/rotation-job-store.js";

export interface RotationExecutorOptions {
  /** How long a claim holds a job without a step committing (default 30 s). */
  leaseMs?: number;
  /** How often the loop looks for due jobs (default 1 s). */
  intervalMs?: number;
  /** Jobs claimed at once (default 10). */
  batch?: number;
  /** This replica's name in leases (default: random). */
  owner?: string;
}

/** Steps one claim runs at most before letting the job go (a job has fewer: a safety bound). */
const MAX_STEPS_PER_CLAIM = 32;
/** Claims one tick makes back to back while jobs stay due, before waiting for the next. */
const MAX_CLAIMS_PER_TICK = 100;

export class RotationExecutor {
  readonly owner: string;
  readonly #leaseMs: number;
  readonly #intervalMs: number;
  readonly #batch: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<number> | undefined;
  /** A job became due while a tick ran: claim again before the tick ends. */
  #again = false;
  #stopDue: (() => void) | undefined;

  constructor(
    private readonly deps: Pick<Deps, "db" | "now" | "log">,
    private readonly engine: RotationJobEngine,
    options: RotationExecutorOptions = {},
  ) {
    this.owner = options.owner ?? `replica-${randomString(BASE62, 12)}`;
    this.#leaseMs = options.leaseMs ?? 30_000;
    this.#intervalMs = options.intervalMs ?? 1_000;
    this.#batch = options.batch ?? 10;
  }

  /**
   * Claims the due jobs and drives each, again while a full batch was claimed or a job became
   * due meanwhile; returns how many it claimed. One tick at a time.
   */
  tick(): Promise<number> {
    this.#running ??= this.#claimWhileDue().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** A job became due now on this replica: tick at once instead of at the next poll. */
  wake(): void {
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.tick().catch((err: unknown) =>
      this.deps.log.error({ err }, "the rotation executor's tick failed"),
    );
  }

  async #claimWhileDue(): Promise<number> {
    let total = 0;
    for (let i = 0; i < MAX_CLAIMS_PER_TICK; i++) {
      this.#again = false;
      const claimed = await this.#claim();
      total += claimed;
      if (claimed < this.#batch && !this.#again) break;
    }
    return total;
  }

  async #claim(): Promise<number> {
    const now = this.deps.now();
    const claimed = await this.deps.db.transaction((tx) =>
      rotationJobStore.claimDue(
        tx,
        this.owner,
        now,
        new Date(now.getTime() + this.#leaseMs),
        this.#batch,
      ),
    );
    for (const job of claimed) {
      await this.drive(job).catch((err: unknown) =>
        this.deps.log.error({ err, job: job.id }, "a rotation job could not be driven"),
      );
    }
    return claimed.length;
  }

  /** Runs a claimed job's steps while it stays active, due and ours; then lets it go. */
  async drive(job: ClaimedJob): Promise<void> {
    if (job.was_owner !== null) {
      if (!(await this.engine.resume(job.id, this.owner, this.#leaseMs))) return;
    }
    for (let i = 0; i < MAX_STEPS_PER_CLAIM; i++) {
      const after = await this.engine.step(job.id, this.owner, this.#leaseMs);
      if (!after || after.ended_at !== null || after.lease_owner !== this.owner) return;
      if (after.next_attempt_at > this.deps.now()) break;
    }
    await this.deps.db.transaction((tx) => rotationJobStore.release(tx, job.id, this.owner));
  }

  start(): void {
    if (this.#timer) return;
    // Jobs made due by a call on this replica (run, retry, a callback) start at once; other
    // replicas' calls are found by the poll.
    this.#stopDue = this.engine.onDue(() => this.wake());
    this.#timer = setInterval(() => {
      this.tick().catch((err: unknown) =>
        this.deps.log.error({ err }, "the rotation executor's tick failed"),
      );
    }, this.#intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    this.#stopDue?.();
    this.#stopDue = undefined;
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
  }
}
