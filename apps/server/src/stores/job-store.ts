/**
 * The job store: when each background job last ran (`job_runs`); the only module that names
 * this table.
 */
import type { Queryable } from "../db/database.js";

export const jobStore = {
  async lastRun(q: Queryable, job: string): Promise<Date | undefined> {
    const [last] = await q.query<{ last_run_at: Date }>(
      "SELECT last_run_at FROM job_runs WHERE job = $1",
      [job],
    );
    return last?.last_run_at;
  },

  async ran(q: Queryable, job: string, at: Date): Promise<void> {
    await q.query(
      `INSERT INTO job_runs (job, last_run_at) VALUES ($1, $2)
         ON CONFLICT (job) DO UPDATE SET last_run_at = EXCLUDED.last_run_at`,
      [job, at],
    );
  },
};

export type JobStore = typeof jobStore;
