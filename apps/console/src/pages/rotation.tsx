/**
 * Rotation (SPEC §11): the rotators, and one secret's rotation at a time: its policy, the
 * operators on it and its jobs. The secret shown is in the address (`/rotation?secret=OWNER/NAME`,
 * a name, never a value), so the page can be linked to and reloaded.
 */
import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { Link, useLocation, useSearch } from "wouter";
import { useSession } from "../session.js";
import { useTRPC } from "../trpc.js";
import { Button } from "../ui/button.js";
import { Page } from "../ui/page.js";
import { JobsSection } from "./rotation/jobs.js";
import { Section } from "../ui/section.js";
import { TextField } from "../ui/text-field.js";
import { PolicySection, usePolicy } from "./rotation/policy.js";
import { RotatorsSection } from "./rotation/rotators.js";
import { secretPath } from "./secrets.js";

export function RotationPage() {
  const trpc = useTRPC();
  const session = useSession();
  const [, navigate] = useLocation();
  const secret = new URLSearchParams(useSearch()).get("secret")?.trim() ?? "";
  const [typed, setTyped] = useState(secret);
  useEffect(() => setTyped(secret), [secret]);
  // Suggestions for the Secret field: the secrets the user sees first (names only).
  const secrets = useQuery(trpc.secret.list.queryOptions({ limit: 100 }));
  const [owner, name] = secret.includes("/") ? secret.split("/") : [session.user, secret];

  return (
    <Page title="Rotation">
      <RotatorsSection />
      <Section id="secret-rotation" title="A secret's rotation">
        <form
          className="toolbar"
          onSubmit={(e) => {
            e.preventDefault();
            const chosen = typed.trim();
            navigate(
              chosen === "" ? "/rotation" : `/rotation?secret=${encodeURIComponent(chosen)}`,
            );
          }}
        >
          <TextField
            label="Secret"
            hint="NAME (yours) or OWNER/NAME."
            suggestions={(secrets.data?.items ?? []).map((s) => `${s.owner}/${s.name}`)}
            maxLength={300}
            value={typed}
            onChange={setTyped}
          />
          <Button type="submit">Show rotation</Button>
        </form>
        {secret === "" ? (
          <div className="empty">
            <p>
              Choose a secret to see its rotation policy and jobs, to run a rotation now, or to give
              it a policy.
            </p>
          </div>
        ) : (
          <p>
            Rotation of{" "}
            {owner !== undefined && name !== undefined ? (
              <Link href={secretPath(owner, name)}>{secret}</Link>
            ) : (
              <strong>{secret}</strong>
            )}
          </p>
        )}
      </Section>
      {secret !== "" && <SecretRotation key={secret} secret={secret} />}
    </Page>
  );
}

/** The policy, and the jobs once the secret is known to be there (one error, not two). */
function SecretRotation(props: { secret: string }) {
  const { policy, missing } = usePolicy(props.secret);
  return (
    <>
      <PolicySection secret={props.secret} />
      {(policy.isSuccess || missing) && <JobsSection secret={props.secret} />}
    </>
  );
}
