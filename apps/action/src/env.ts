/**
 * The runner's environment files, read here only (@actions/core reads the rest itself).
 * Without them @actions/core would fall back to workflow commands on stdout, which would put
 * values and the exchanged token in the log: the action refuses to run instead.
 */
export interface RunnerFiles {
  /** GITHUB_ENV: exported variables. */
  env: string | undefined;
  /** GITHUB_OUTPUT: step outputs. */
  output: string | undefined;
  /** GITHUB_STATE: what the post step reads. */
  state: string | undefined;
}

export function runnerFiles(env: NodeJS.ProcessEnv = process.env): RunnerFiles {
  return {
    env: env["GITHUB_ENV"] || undefined,
    output: env["GITHUB_OUTPUT"] || undefined,
    state: env["GITHUB_STATE"] || undefined,
  };
}
