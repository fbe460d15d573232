/**
 * Request schemas and response types of rotation (SPEC §11): policies and jobs (operators,
 * `write` on the secret), rotators, and the job-token side that a webhook rotator calls back
 * on. No response type but JobStartView carries a value, and that one only to the holder of
 * the job's token.
 */
import { MAX_JSON_KEY_LENGTH, PRINCIPAL_NAME_SOURCE, SECRET_NAME_SOURCE } from "../model/limits.js";
import type { RandomSecretOptions } from "../model/types.js";
import type { JobMode, JobState, JobStep } from "../rotation/job-machine.js";
import { JOB_STATES } from "../rotation/job-machine.js";
import { DURATION_SOURCE } from "../rotation/schedule.js";
import {
  descriptionSchema,
  principalNameSchema,
  randomSecretOptionsSchema,
  secretValueSchema,
} from "../schemas.js";
import { compileSchema } from "../validation.js";
import { emptyInputSchema, objectSchema, pageSchema, secretRefSchema } from "./common.js";

export const MAX_ROTATION_TARGETS = 32;
export const MAX_ROTATION_ATTEMPTS = 10;
export const MAX_FAILURE_REASON_LENGTH = 1024;
export const ROTATOR_KINDS = ["random", "postgres", "webhook"] as const;
export type RotatorKind = (typeof ROTATOR_KINDS)[number];
export const WEBHOOK_ROTATOR_MODES = ["driver", "callback"] as const;
export type WebhookRotatorMode = (typeof WEBHOOK_ROTATOR_MODES)[number];

/** A rotator as people name it: `NAME` (the caller's own) or `OWNER/NAME`. */
export const rotatorRefSchema = {
  type: "string",
  pattern: `^(${PRINCIPAL_NAME_SOURCE}/)?${SECRET_NAME_SOURCE}$`,
  maxLength: 168,
} as const;
const rotatorNameSchema = {
  type: "string",
  pattern: `^${SECRET_NAME_SOURCE}$`,
  maxLength: 128,
} as const;
export const jobIdSchema = { type: "string", pattern: "^job_[0-9A-Za-z]{16}$" } as const;
const durationSchema = { type: "string", pattern: `^${DURATION_SOURCE}$`, maxLength: 8 } as const;
/** Parsed and checked further by schedule.ts (5 fields, ranges, fires at all). */
const cronSchema = { type: "string", minLength: 9, maxLength: 128 } as const;
const targetsSchema = {
  type: "array",
  minItems: 1,
  maxItems: MAX_ROTATION_TARGETS,
  uniqueItems: true,
  items: { type: "string", minLength: 1, maxLength: MAX_JSON_KEY_LENGTH },
} as const;
/** A PostgreSQL identifier Coffer quotes itself: plain letters, digits, `_`, `$`, `-`. */
const pgIdentifierSchema = {
  type: "string",
  pattern: "^[A-Za-z_][A-Za-z0-9_$-]{0,62}$",
} as const;

export interface SecretRotationInput {
  secret: string;
}

export interface ConfigureRotationInput extends SecretRotationInput {
  rotator: string;
  /** `1h` to `730d`; the default (`90d`) when neither `every` nor `cron` is given. */
  every?: string;
  /** 5-field UTC cron; not with `every`. */
  cron?: string;
  /** How long after the due time a rotation may start (default `1h`). */
  window?: string;
  /** Rotate on schedule (default true); false leaves only `run`. */
  auto?: boolean;
  /** JSON keys of the value to rotate; without, the whole value. */
  targets?: string[];
  /** Generator options (SPEC §5) for `random` and `addPending`. */
  generate?: RandomSecretOptions;
  /** Attempts before the job fails (default 5). */
  maxAttempts?: number;
}
export interface SetAutoRotationInput extends SecretRotationInput {
  auto: boolean;
}
export interface ListRotationJobsInput extends SecretRotationInput {
  state?: JobState;
  limit?: number;
  cursor?: string;
}

export interface CreateRotatorInput {
  name: string;
  /** A team the rotator belongs to; without, the caller. */
  owner?: string;
  description?: string;
  kind: RotatorKind;
  postgres?: PostgresRotatorConfig;
  webhook?: WebhookRotatorConfig;
}
export interface PostgresRotatorConfig {
  /** A secret holding the admin connection string (`postgres://…`). */
  adminSecret: string;
  role: string;
  /** Where the test connects; the admin connection's database when left out. */
  database?: string;
}
export interface WebhookRotatorConfig {
  url: string;
  /** A secret holding the Standard Webhooks signing key; the server makes one when left out. */
  signingSecret?: string;
  /** `driver`: Coffer calls for each step; `callback`: the receiver drives the job (default driver). */
  mode?: WebhookRotatorMode;
}
export interface ListRotatorsInput {
  owner?: string;
  limit?: number;
  cursor?: string;
}
export interface RotatorRefInput {
  rotator: string;
}

export interface UpdatePendingInput {
  value: string;
}
export interface FailJobInput {
  /** Shown in the job's log; must not hold a value. */
  reason: string;
  /** False when trying again cannot help (default true: retried while attempts are left). */
  retryable?: boolean;
}

const secretOnly = objectSchema({ secret: secretRefSchema }, ["secret"]);
const notWith = (field: string, other: string) => ({
  dependencies: { [field]: { properties: { [other]: false } } },
});

const configureSchema = {
  ...objectSchema(
    {
      secret: secretRefSchema,
      rotator: rotatorRefSchema,
      every: durationSchema,
      cron: cronSchema,
      window: durationSchema,
      auto: { type: "boolean" },
      targets: targetsSchema,
      generate: randomSecretOptionsSchema,
      maxAttempts: { type: "integer", minimum: 1, maximum: MAX_ROTATION_ATTEMPTS },
    },
    ["secret", "rotator"],
  ),
  ...notWith("every", "cron"),
} as const;

const postgresSchema = objectSchema(
  { adminSecret: secretRefSchema, role: pgIdentifierSchema, database: pgIdentifierSchema },
  ["adminSecret", "role"],
);
const webhookSchema = objectSchema(
  {
    url: { type: "string", pattern: "^https?://[^\\s]+$", maxLength: 2048 },
    signingSecret: secretRefSchema,
    mode: { type: "string", enum: [...WEBHOOK_ROTATOR_MODES] },
  },
  ["url"],
);
/** Each kind's config is required with it and refused with any other kind. */
const kindConfig = (kind: "postgres" | "webhook") => ({
  if: { properties: { kind: { const: kind } } },
  then: { required: [kind], properties: { [kind]: true } },
  else: { properties: { [kind]: false } },
});

const createRotatorSchema = {
  ...objectSchema(
    {
      name: rotatorNameSchema,
      owner: principalNameSchema,
      description: descriptionSchema,
      kind: { type: "string", enum: [...ROTATOR_KINDS] },
      postgres: postgresSchema,
      webhook: webhookSchema,
    },
    ["name", "kind"],
  ),
  allOf: [kindConfig("postgres"), kindConfig("webhook")],
} as const;

export const rotationInputs = {
  configure: compileSchema<ConfigureRotationInput>(configureSchema),
  /** get, run, test, cancel, retry, rollback: the secret's policy or its latest job. */
  secret: compileSchema<SecretRotationInput>(secretOnly),
  setAuto: compileSchema<SetAutoRotationInput>(
    objectSchema({ secret: secretRefSchema, auto: { type: "boolean" } }, ["secret", "auto"]),
  ),
  jobs: compileSchema<ListRotationJobsInput>(
    objectSchema(
      { secret: secretRefSchema, state: { type: "string", enum: [...JOB_STATES] }, ...pageSchema },
      ["secret"],
    ),
  ),
} as const;

export const rotatorInputs = {
  create: compileSchema<CreateRotatorInput>(createRotatorSchema),
  list: compileSchema<ListRotatorsInput>(
    objectSchema({ owner: principalNameSchema, ...pageSchema }, []),
  ),
  /** get, delete. */
  ref: compileSchema<RotatorRefInput>(objectSchema({ rotator: rotatorRefSchema }, ["rotator"])),
} as const;

/** The job-token side: the token names the job, so start, addPending, complete, heartbeat take nothing. */
export const rotationJobInputs = {
  none: compileSchema<Record<string, never>>(emptyInputSchema),
  updatePending: compileSchema<UpdatePendingInput>(
    objectSchema({ value: secretValueSchema }, ["value"]),
  ),
  fail: compileSchema<FailJobInput>(
    objectSchema(
      {
        reason: { type: "string", minLength: 1, maxLength: MAX_FAILURE_REASON_LENGTH },
        retryable: { type: "boolean" },
      },
      ["reason"],
    ),
  ),
} as const;

// ---- Responses (times are RFC 3339 strings, as elsewhere in the API) ----

export interface RotationPolicyView {
  secret: string;
  /** `OWNER/NAME`. */
  rotator: string;
  every: string | null;
  cron: string | null;
  window: string;
  auto: boolean;
  targets: string[];
  generate: RandomSecretOptions;
  maxAttempts: number;
  lastRotatedAt: string | null;
  /** Null when `auto` is off. */
  nextDueAt: string | null;
  activeJob: string | null;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  updatedBy: string;
}

export interface RotationJobStepView {
  step: JobStep;
  attempt: number;
  startedAt: string;
  endedAt: string | null;
  outcome: "running" | "done" | "failed" | "replayed";
  /** Why it failed, in words that never hold a value. */
  error: string | null;
}

export interface RotationJobView {
  id: string;
  secret: string;
  rotator: string;
  mode: JobMode;
  trigger: "schedule" | "manual" | "retry" | "rollback";
  state: JobState;
  step: JobStep;
  attempt: number;
  maxAttempts: number;
  /** The version the job wrote on `pending`, then promoted; null before `create`. */
  version: number | null;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  finishedAt: string | null;
  nextAttemptAt: string | null;
  error: string | null;
  steps: RotationJobStepView[];
}

export interface RotationJobPage {
  items: RotationJobView[];
  nextCursor: string | null;
}

export interface RotatorView {
  /** `OWNER/NAME`. */
  ref: string;
  owner: string;
  name: string;
  kind: RotatorKind;
  description: string;
  /** Settings, never a value: secrets are named by reference. */
  postgres: PostgresRotatorConfig | null;
  webhook: (WebhookRotatorConfig & { mode: WebhookRotatorMode }) | null;
  createdAt: string;
  createdBy: string;
}

export interface RotatorPage {
  items: RotatorView[];
  nextCursor: string | null;
}

/** `rotation.job.start`: what a callback rotator needs, values included (job token only). */
export interface JobStartView {
  job: string;
  secret: string;
  targets: string[];
  previous: string | null;
  current: string;
  pending: string | null;
}
