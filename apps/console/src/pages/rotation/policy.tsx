/**
 * A secret's rotation (SPEC §11): its policy, and the operators on it: run now, dry run,
 * cancel, retry, roll back, automatic on/off. Each needs `write` on the secret; none returns a
 * value (a job names its version, never shows it), so they go through useMutation.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { RandomSecretOptions, RotationJobView, RotationPolicyView } from "@coffer/core";
import { useState } from "react";
import { useTRPC } from "../../trpc.js";
import { Button } from "../../ui/button.js";
import { ConfirmDialog } from "../../ui/confirm-dialog.js";
import { callError, ErrorNotice } from "../../ui/error-notice.js";
import { Loading } from "../../ui/loading.js";
import { Time } from "../../ui/time.js";
import { ACTIVE_POLL_MS, isActive } from "./jobs.js";
import { Facts, listText } from "../../ui/facts.js";
import { Section } from "../../ui/section.js";
import { PolicyForm } from "./policy-form.js";

/** The generator options in words ("24 characters, no punctuation"). */
function generatorText(g: RandomSecretOptions): string {
  const parts = [`${g.length ?? 32} characters`];
  if (g.excludeNumbers === true) parts.push("no digits");
  if (g.excludePunctuation === true) parts.push("no punctuation");
  if (g.excludeUppercase === true) parts.push("no uppercase");
  if (g.excludeLowercase === true) parts.push("no lowercase");
  if (g.includeSpace === true) parts.push("spaces included");
  if (g.requireEachIncludedType === true) parts.push("one of each kind");
  if (g.excludeCharacters !== undefined && g.excludeCharacters !== "")
    parts.push(`leaving out ${g.excludeCharacters.length} character(s)`);
  return parts.join(", ");
}

function PolicyFacts(props: { policy: RotationPolicyView }) {
  const p = props.policy;
  return (
    <Facts
      label="Rotation policy"
      items={[
        ["Rotator", p.rotator],
        ["Schedule", p.cron !== null ? `cron ${p.cron} (UTC)` : `every ${p.every ?? "90d"}`],
        ["Window", p.window],
        ["Automatic", p.auto ? "On" : "Off: only Run now rotates"],
        ["Next due", p.auto ? <Time iso={p.nextDueAt} /> : "—"],
        ["Last rotated", <Time key="last" iso={p.lastRotatedAt} />],
        ["Targets", p.targets.length === 0 ? "The whole value" : listText(p.targets)],
        ["New values", generatorText(p.generate)],
        ["Attempts", String(p.maxAttempts)],
        ["Active job", p.activeJob === null ? "None" : <code>{p.activeJob}</code>],
        [
          "Updated",
          <>
            <Time iso={p.updatedAt} /> by {p.updatedBy}
          </>,
        ],
      ]}
    />
  );
}

/** The last part of `OWNER/NAME` (or of a URI): what a person types to confirm. */
const nameOf = (secret: string) => secret.split("/").at(-1) ?? secret;

function Operators(props: { secret: string; policy: RotationPolicyView }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [done, setDone] = useState<string | null>(null);
  const [rollingBack, setRollingBack] = useState(false);
  const latest = useQuery({
    ...trpc.rotation.jobs.queryOptions({ secret: props.secret, limit: 1 }),
    refetchInterval: (q) => (q.state.data?.items.some(isActive) ? ACTIVE_POLL_MS : false),
  });
  const last = latest.data?.items[0];
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.rotation.get.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.rotation.jobs.pathKey() }),
    ]);
  /** What each operator did, said once it answered; the job's progress shows under Jobs. */
  const onJob = (did: string) => ({
    onSuccess: async (job: RotationJobView) => {
      setRollingBack(false);
      setDone(`${did}: job ${job.id}. Its progress shows under Jobs.`);
      await refresh();
    },
  });
  const calls = {
    run: useMutation(trpc.rotation.run.mutationOptions(onJob("Rotation started"))),
    test: useMutation(trpc.rotation.test.mutationOptions(onJob("Dry run started"))),
    cancel: useMutation(trpc.rotation.cancel.mutationOptions(onJob("Cancel asked"))),
    retry: useMutation(trpc.rotation.retry.mutationOptions(onJob("Retry started"))),
    rollback: useMutation(trpc.rotation.rollback.mutationOptions(onJob("Rollback started"))),
  };
  const setAuto = useMutation(
    trpc.rotation.setAuto.mutationOptions({
      onSuccess: async (p) => {
        setDone(
          p.auto ? "Automatic rotation is on." : "Automatic rotation is off; the policy stays.",
        );
        await refresh();
      },
    }),
  );
  const busy = Object.values(calls).some((c) => c.isPending) || setAuto.isPending;
  const active = props.policy.activeJob !== null;
  const start = (call: keyof typeof calls) => {
    setDone(null);
    for (const c of Object.values(calls)) c.reset();
    setAuto.reset();
    calls[call].mutate({ secret: props.secret });
  };
  const errors: [unknown, string][] = [
    [calls.run.error, "start a rotation"],
    [calls.test.error, "start a dry run"],
    [calls.cancel.error, "cancel the job"],
    [calls.retry.error, "retry the job"],
    [setAuto.error, "change automatic rotation"],
  ];

  return (
    <>
      <div className="form-actions">
        <Button kind="primary" disabled={busy || active} onClick={() => start("run")}>
          Run now
        </Button>
        <Button disabled={busy || active} onClick={() => start("test")}>
          Dry run
        </Button>
        <Button disabled={busy || !active} onClick={() => start("cancel")}>
          Cancel job
        </Button>
        <Button
          disabled={busy || active || last?.state !== "failed" || last.mode === "dryRun"}
          onClick={() => start("retry")}
        >
          Retry
        </Button>
        <Button
          kind="danger"
          disabled={busy || active || last?.state !== "succeeded" || last.mode === "dryRun"}
          onClick={() => {
            calls.rollback.reset();
            setRollingBack(true);
          }}
        >
          Roll back
        </Button>
        <Button
          disabled={busy}
          onClick={() => {
            setDone(null);
            setAuto.mutate({ secret: props.secret, auto: !props.policy.auto });
          }}
        >
          {props.policy.auto ? "Turn off automatic rotation" : "Turn on automatic rotation"}
        </Button>
      </div>
      <p className="hint">
        A dry run makes and tests a value without setting or promoting it. Retry starts a failed job
        again with a fresh value; Roll back makes the previous version current again (and sets it
        back on the rotator&apos;s target).
      </p>
      {done !== null && (
        <p className="notice notice-ok" role="status">
          {done}
        </p>
      )}
      {errors.map(([error, action]) => (
        <ErrorNotice key={action} error={error} action={action} />
      ))}
      <ConfirmDialog
        open={rollingBack}
        title={`Roll back ${nameOf(props.secret)}`}
        name={nameOf(props.secret)}
        actionLabel="Roll back"
        pending={calls.rollback.isPending}
        error={calls.rollback.error}
        onCancel={() => setRollingBack(false)}
        onConfirm={() => calls.rollback.mutate({ secret: props.secret })}
      >
        <p>
          The previous version becomes current again, and the rotator sets it back where the secret
          is used. Job {last?.id} ends rolled back.
        </p>
      </ConfirmDialog>
    </>
  );
}

/** Whether `error` is rotation.get's "this secret has no policy" (NOT_FOUND on the policy). */
function noPolicy(error: unknown): boolean {
  const e = callError(error);
  return e.errorCode === "NOT_FOUND" && e.message.includes("no rotation policy");
}

/**
 * The secret's policy (`rotation.get`), asked again every few seconds while a job runs;
 * `missing` when the secret has none (it exists, and the caller may write it).
 */
export function usePolicy(secret: string) {
  const trpc = useTRPC();
  const policy = useQuery({
    ...trpc.rotation.get.queryOptions({ secret }),
    retry: false,
    refetchInterval: (q) => (q.state.data?.activeJob ? ACTIVE_POLL_MS : false),
  });
  return { policy, missing: policy.isError && noPolicy(policy.error) };
}

export function PolicySection(props: { secret: string }) {
  const [editing, setEditing] = useState(false);
  const { policy, missing } = usePolicy(props.secret);

  return (
    <Section
      id="policy"
      title="Policy"
      actions={
        policy.data !== undefined && (
          <Button aria-expanded={editing} onClick={() => setEditing(true)}>
            Change policy
          </Button>
        )
      }
    >
      {policy.isPending && <Loading what="the rotation policy" />}
      {policy.isError && !missing && (
        <ErrorNotice error={policy.error} action="read this secret's rotation policy" />
      )}
      {missing && !editing && (
        <div className="empty">
          <p>
            This secret has no rotation policy yet. Give it one (a rotator and a schedule) to rotate
            it.
          </p>
          <Button kind="primary" onClick={() => setEditing(true)}>
            Set a rotation policy
          </Button>
        </div>
      )}
      {editing && (missing || policy.data !== undefined) && (
        <PolicyForm
          secret={props.secret}
          {...(policy.data === undefined ? {} : { initial: policy.data })}
          onDone={() => setEditing(false)}
        />
      )}
      {policy.data !== undefined && (
        <>
          <PolicyFacts policy={policy.data} />
          <Operators secret={props.secret} policy={policy.data} />
        </>
      )}
    </Section>
  );
}
