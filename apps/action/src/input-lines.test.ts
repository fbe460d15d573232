import { formatVaultReference } from "@coffer/core";
import { describe, expect, it } from "vitest";
import {
  envNameOf,
  InputLineError,
  parseFilesInput,
  parseSecretsInput,
  type SecretRequest,
} from "./input-lines.js";

/** Requests as short strings: `line: reference > target` or `line: OWNER/* > prefix`. */
const brief = (requests: readonly SecretRequest[]): string[] =>
  requests.map((r) =>
    r.kind === "one"
      ? `${r.line}: ${formatVaultReference(r.reference)} > ${r.target}`
      : `${r.line}: ${r.owner}/* > ${r.prefix}`,
  );

const failure = (parse: () => unknown): string => {
  try {
    parse();
  } catch (error) {
    if (error instanceof InputLineError) return error.message;
    throw error;
  }
  throw new Error("expected an InputLineError");
};

describe("secrets input", () => {
  it("reads every form of SPEC §10", () => {
    const text = `
      ml/openai_key > OPENAI_API_KEY
      ml/db_creds/username > DB_USER
      ml/* > ML_
      # a comment, and a blank line:

      deploy_key
      ml/db-creds/pass-word
      ml/openai_key#2 > OPENAI_PREVIOUS
      {vault://coffer/ml/openai_key?stage=previous} > VIA_VAULT
      team-a/*
    `;
    expect(brief(parseSecretsInput(text))).toEqual([
      "2: {vault://coffer/ml/openai_key} > OPENAI_API_KEY",
      "3: {vault://coffer/ml/db_creds/username} > DB_USER",
      "4: ml/* > ML_",
      "7: {vault://coffer/deploy_key} > DEPLOY_KEY",
      "8: {vault://coffer/ml/db-creds/pass-word} > PASS_WORD",
      "9: {vault://coffer/ml/openai_key#2} > OPENAI_PREVIOUS",
      "10: {vault://coffer/ml/openai_key?stage=previous} > VIA_VAULT",
      "11: team-a/* > ",
    ]);
  });

  it("keeps each REF as written, for errors to name it", () => {
    const requests = parseSecretsInput(
      "  ml/key#2 > OLD\n{vault://coffer/ml/a?stage=previous}\nml/*",
    );
    expect(requests.map((r) => r.text)).toEqual([
      "ml/key#2",
      "{vault://coffer/ml/a?stage=previous}",
      "ml/*",
    ]);
    expect(parseFilesInput("ml/tls > /tmp/x")[0]?.text).toBe("ml/tls");
  });

  it("takes Windows line ends and spaces around >", () => {
    expect(brief(parseSecretsInput("a_key>A\r\n  b_key   >   B  \r\n"))).toEqual([
      "1: {vault://coffer/a_key} > A",
      "2: {vault://coffer/b_key} > B",
    ]);
  });

  it("lets a key hold characters a path would escape", () => {
    const [request] = parseSecretsInput("ml/creds/user name > USER");
    expect(request).toMatchObject({ kind: "one", target: "USER" });
    expect(request?.kind === "one" && request.reference.key).toBe("user name");
  });

  it("gives exact errors that name the line", () => {
    expect(failure(() => parseSecretsInput("ml/ok\n> X"))).toBe(
      'secrets line 2: nothing before ">"',
    );
    expect(failure(() => parseSecretsInput("ml/ok >"))).toBe('secrets line 1: nothing after ">"');
    expect(failure(() => parseSecretsInput("ml/ok > A > B"))).toBe(
      'secrets line 1: more than one ">"',
    );
    expect(failure(() => parseSecretsInput("ml/ok/key/more"))).toBe(
      'secrets line 1: "ml/ok/key/more" is not a reference: a coffer path is NAME, OWNER/NAME or OWNER/NAME/KEY',
    );
    expect(failure(() => parseSecretsInput("\n\nml/9bad"))).toBe(
      'secrets line 3: "ml/9bad" is not a reference: "9bad" is not a secret name',
    );
    expect(failure(() => parseSecretsInput("Bad_Owner/x"))).toBe(
      'secrets line 1: "Bad_Owner/x" is not a reference: owner "Bad_Owner" is not a user or team name',
    );
    expect(failure(() => parseSecretsInput("ml/key#0"))).toBe(
      'secrets line 1: "ml/key#0" is not a reference: versions are numbered from 1',
    );
    expect(failure(() => parseSecretsInput("{vault://env/HOME}"))).toBe(
      'secrets line 1: "{vault://env/HOME}" is not a reference: unknown backend "env"; known: coffer',
    );
    expect(failure(() => parseSecretsInput("ml/key > 1ST"))).toBe(
      'secrets line 1: "1ST" is not an environment variable name (letters, digits and _, not first a digit)',
    );
    expect(failure(() => parseSecretsInput("ml/key > A\nother/key > A"))).toBe(
      "secrets line 2: A is already set by line 1",
    );
    expect(failure(() => parseSecretsInput("ml/a_key\nteam/a-key"))).toBe(
      "secrets line 2: A_KEY is already set by line 1",
    );
    expect(failure(() => parseSecretsInput("Team/*"))).toBe(
      'secrets line 1: "Team" is not a user or team name',
    );
    expect(failure(() => parseSecretsInput("ml/* > ML-"))).toBe(
      'secrets line 1: "ML-" cannot start an environment variable name (letters, digits and _)',
    );
  });

  it("refuses an explicit line that would set an action's input or state", () => {
    expect(() => parseSecretsInput("ml/a > STATE_isPost")).toThrow(
      "secrets line 1: STATE_isPost starts with STATE_, which the runner uses to pass inputs and state to actions: no secret may set it",
    );
    expect(() => parseSecretsInput("# x\nml/a > input_token")).toThrow(
      "secrets line 2: input_token starts with INPUT_, which the runner uses to pass inputs and state to actions: no secret may set it",
    );
  });

  it("refuses a wildcard prefix that starts a reserved family, and keeps explicit lines", () => {
    expect(failure(() => parseSecretsInput("ml/key\nml/* > GITHUB_"))).toBe(
      `secrets line 2: prefix "GITHUB_" starts with GITHUB_, which a wildcard may not set (reserved variables, see the action's README); choose another prefix, e.g. ml/* > ML_`,
    );
    expect(failure(() => parseSecretsInput("ld/* > ld_x"))).toBe(
      `secrets line 1: prefix "ld_x" starts with LD_, which a wildcard may not set (reserved variables, see the action's README); choose another prefix, e.g. ld/* > COFFER_LD_`,
    );
    // Explicit lines are the workflow author's own choice; a prefix is checked with each name.
    expect(brief(parseSecretsInput("ml/path > PATH\nml/gh > GITHUB_TOKEN\nml/* > GIT"))).toEqual([
      "1: {vault://coffer/ml/path} > PATH",
      "2: {vault://coffer/ml/gh} > GITHUB_TOKEN",
      "3: ml/* > GIT",
    ]);
  });

  it("quotes at most 80 characters of a bad line", () => {
    const message = failure(() => parseSecretsInput(`ml/${"x".repeat(200)}/a/b`));
    expect(message).toContain(`"ml/${"x".repeat(77)}…"`);
    expect(message.length).toBeLessThan(200);
  });
});

describe("files input", () => {
  it("reads REF > PATH lines", () => {
    const requests = parseFilesInput(
      "ml/gcp_sa > /tmp/runner/gcp.json\nml/tls/cert#3 > ./cert.pem",
    );
    expect(brief(requests)).toEqual([
      "1: {vault://coffer/ml/gcp_sa} > /tmp/runner/gcp.json",
      "2: {vault://coffer/ml/tls/cert#3} > ./cert.pem",
    ]);
  });

  it("needs a path, one per file, and no wildcard", () => {
    expect(failure(() => parseFilesInput("ml/gcp_sa"))).toBe(
      'files line 1: give the file\'s path after ">"',
    );
    expect(failure(() => parseFilesInput("ml/* > /tmp/x"))).toBe(
      "files line 1: OWNER/* is for secrets, not files",
    );
    expect(failure(() => parseFilesInput("ml/a > /tmp/x\nml/b > /tmp/x"))).toBe(
      "files line 2: /tmp/x is already written by line 1",
    );
  });
});

describe("envNameOf", () => {
  it("uppercases and turns - into _", () => {
    expect(envNameOf("openai-key")).toBe("OPENAI_KEY");
    expect(envNameOf("Db_Pass")).toBe("DB_PASS");
  });
});
