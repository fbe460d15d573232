/**
 * A secret's rotation policy, set or replaced (`rotation.configure`): rotator, `every` or a UTC
 * cron, window, automatic on/off, targets, generator options, attempts. A configure replaces the
 * whole policy, so the form starts from the one in force.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { ConfigureRotationInput, RandomSecretOptions, RotationPolicyView } from "@coffer/core";
import { useState } from "react";
import { useTRPC } from "../../trpc.js";
import { ErrorNotice } from "../../ui/error-notice.js";
import { splitItems } from "../hooks/templates.js";
import { FormButtons } from "../../ui/form-buttons.js";
import { SelectField } from "../../ui/select-field.js";
import { TextField } from "../../ui/text-field.js";

/** core's DURATION_SOURCE (copied): a number of hours or days. */
const DURATION = /^(?:0|[1-9][0-9]{0,5})[hd]$/;
const DURATION_HINT = "A number and h or d: 12h, 30d.";

const timings = [
  ["every", "Every so often"],
  ["cron", "On a cron schedule (UTC)"],
] as const;

type Flag = Exclude<keyof RandomSecretOptions, "length" | "excludeCharacters">;
const flags: [Flag, string][] = [
  ["excludeNumbers", "No digits"],
  ["excludePunctuation", "No punctuation"],
  ["excludeUppercase", "No uppercase letters"],
  ["excludeLowercase", "No lowercase letters"],
  ["includeSpace", "Include spaces"],
  ["requireEachIncludedType", "At least one of each kind included"],
];

export function PolicyForm(props: {
  secret: string;
  initial?: RotationPolicyView;
  onDone: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const p = props.initial;
  const rotators = useQuery(trpc.rotator.list.queryOptions({ limit: 500 }));
  const [rotator, setRotator] = useState(p?.rotator ?? "");
  const [timing, setTiming] = useState<"every" | "cron">(p?.cron ? "cron" : "every");
  const [every, setEvery] = useState(p?.every ?? "90d");
  const [cron, setCron] = useState(p?.cron ?? "");
  const [windowText, setWindow] = useState(p?.window ?? "1h");
  const [auto, setAuto] = useState(p?.auto ?? true);
  const [targets, setTargets] = useState((p?.targets ?? []).join(", "));
  const [length, setLength] = useState(p?.generate.length?.toString() ?? "");
  const [excluded, setExcluded] = useState(p?.generate.excludeCharacters ?? "");
  const [chosen, setChosen] = useState<Partial<Record<Flag, boolean>>>(() =>
    Object.fromEntries(flags.map(([f]) => [f, p?.generate[f] === true])),
  );
  const [attempts, setAttempts] = useState(String(p?.maxAttempts ?? 5));
  const configure = useMutation(
    trpc.rotation.configure.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.rotation.get.pathKey() });
        props.onDone();
      },
    }),
  );

  const rotatorRefs = (rotators.data?.items ?? []).map((r) => r.ref);
  const chosenRotator = rotatorRefs.includes(rotator) ? rotator : (rotatorRefs[0] ?? "");
  const everyError = timing === "every" && !DURATION.test(every) ? DURATION_HINT : null;
  const windowError = !DURATION.test(windowText) ? DURATION_HINT : null;
  const lengthNumber = Number(length);
  const lengthError =
    length !== "" && !(Number.isInteger(lengthNumber) && lengthNumber >= 1 && lengthNumber <= 4096)
      ? "A whole number from 1 to 4096."
      : null;
  const attemptsNumber = Number(attempts);
  const attemptsError =
    Number.isInteger(attemptsNumber) && attemptsNumber >= 1 && attemptsNumber <= 10
      ? null
      : "A whole number from 1 to 10.";
  const cronMissing = timing === "cron" && cron.trim().length < 9;
  const valid =
    chosenRotator !== "" &&
    everyError === null &&
    windowError === null &&
    lengthError === null &&
    attemptsError === null &&
    !cronMissing;

  function input(): ConfigureRotationInput {
    const generate: RandomSecretOptions = {};
    if (length !== "") generate.length = lengthNumber;
    if (excluded !== "") generate.excludeCharacters = excluded;
    for (const [f] of flags) if (chosen[f] === true) generate[f] = true;
    const keys = splitItems(targets);
    return {
      secret: props.secret,
      rotator: chosenRotator,
      ...(timing === "every" ? { every } : { cron: cron.trim() }),
      window: windowText,
      auto,
      ...(keys.length === 0 ? {} : { targets: keys }),
      generate,
      maxAttempts: attemptsNumber,
    };
  }

  return (
    <form
      className="panel"
      aria-labelledby="policy-form-title"
      onSubmit={(e) => {
        e.preventDefault();
        if (valid && !configure.isPending) configure.mutate(input());
      }}
    >
      <h2 id="policy-form-title">
        {p === undefined ? "Set a rotation policy" : "Change the policy"}
      </h2>
      <SelectField
        label="Rotator"
        hint={rotatorRefs.length === 0 ? "No rotator yet: create one above first." : undefined}
        value={chosenRotator}
        onChange={setRotator}
        options={rotatorRefs}
      />
      <div className="form-row">
        <SelectField label="Schedule" value={timing} onChange={setTiming} options={timings} />
        {timing === "every" ? (
          <TextField
            label="Every"
            hint="From 1h to 730d after the last rotation."
            error={everyError}
            required
            maxLength={8}
            value={every}
            onChange={(v) => setEvery(v.trim())}
          />
        ) : (
          <TextField
            label="Cron"
            hint="Five fields, in UTC: 0 3 * * 1 is Mondays at 03:00."
            required
            maxLength={128}
            value={cron}
            onChange={setCron}
          />
        )}
      </div>
      <div className="form-row">
        <TextField
          label="Window"
          hint="How long after the due time a rotation may still start."
          error={windowError}
          required
          maxLength={8}
          value={windowText}
          onChange={(v) => setWindow(v.trim())}
        />
        <TextField
          label="Targets"
          hint="Optional: the JSON keys to rotate, separated by commas. Empty: the whole value."
          maxLength={4096}
          value={targets}
          onChange={setTargets}
        />
      </div>
      <label className="check">
        <input type="checkbox" checked={auto} onChange={(e) => setAuto(e.target.checked)} />
        Rotate automatically on schedule
      </label>
      <fieldset className="checks">
        <legend>New values</legend>
        {flags.map(([f, text]) => (
          <label key={f}>
            <input
              type="checkbox"
              checked={chosen[f] === true}
              onChange={(e) => setChosen((c) => ({ ...c, [f]: e.target.checked }))}
            />
            {text}
          </label>
        ))}
      </fieldset>
      <div className="form-row">
        <TextField
          label="Length"
          hint="Optional: 32 when left empty."
          error={lengthError}
          inputMode="numeric"
          maxLength={4}
          value={length}
          onChange={(v) => setLength(v.trim())}
        />
        <TextField
          label="Characters to leave out"
          hint="Optional: each character typed here is never used."
          maxLength={256}
          value={excluded}
          onChange={setExcluded}
        />
      </div>
      <TextField
        label="Attempts"
        hint="Tries before the job fails (1 to 10)."
        error={attemptsError}
        inputMode="numeric"
        maxLength={2}
        value={attempts}
        onChange={(v) => setAttempts(v.trim())}
      />
      <ErrorNotice error={rotators.error} action="list rotators" />
      <ErrorNotice error={configure.error} action="save this rotation policy" />
      <FormButtons
        submit="Save policy"
        disabled={!valid || configure.isPending}
        onCancel={props.onDone}
      />
    </form>
  );
}
