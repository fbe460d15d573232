/**
 * The action's inputs (action.yml), each read through @actions/core and checked here, once:
 * - `url`: required, https (http only on the loopback address: the token, and the token an
 *   OIDC exchange returns, must not travel in clear), without credentials;
 * - `method`: `token` (with `token`) or `oidc` (with optional `identity` and `audience`); an
 *   input that belongs to the other method is refused rather than ignored;
 * - `secrets` / `files`: the line grammar of input-lines.ts, line numbers as written;
 * - `export-env`, `outputs`, `ignore-missing`: strict YAML booleans (`true | True | TRUE |
 *   false | False | FALSE`), the runner passing action.yml's defaults.
 * The token input is registered as a mask before anything else is done with it.
 */
import * as core from "@actions/core";
import { isLoopbackHost } from "@coffer/core";
import {
  parseFilesInput,
  parseSecretsInput,
  type OneRequest,
  type SecretRequest,
} from "./input-lines.js";

export type Credentials =
  | { method: "token"; token: string }
  | { method: "oidc"; identity: string | undefined; audience: string };

export interface ActionInputs {
  url: string;
  credentials: Credentials;
  secrets: SecretRequest[];
  files: OneRequest[];
  exportEnv: boolean;
  outputs: boolean;
  ignoreMissing: boolean;
}

export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InputError";
  }
}

const METHODS = ["token", "oidc"] as const;

function booleanInput(name: string): boolean {
  try {
    return core.getBooleanInput(name);
  } catch {
    const given = core.getInput(name);
    throw new InputError(
      `${name} must be true or false (YAML: true | True | TRUE | false | False | FALSE), not ${JSON.stringify(given)}`,
    );
  }
}

function urlInput(): string {
  const url = core.getInput("url", { required: true });
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InputError("url is not a URL (e.g. https://coffer.example.com)");
  }
  if (parsed.username !== "" || parsed.password !== "") {
    throw new InputError("url must not hold credentials; give the token input instead");
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw new InputError(
      `url must be https:// (or http:// on the loopback), not ${parsed.protocol}//`,
    );
  }
  if (parsed.protocol === "http:" && !isLoopbackHost(parsed.hostname)) {
    // The origin only: whatever else the url holds is not repeated.
    throw new InputError(
      `url: ${parsed.origin} must be https (http only on 127.0.0.1, localhost or [::1]): the token would travel in clear`,
    );
  }
  return url;
}

/** What the OIDC audience is when the input is empty: the server's origin. */
export function defaultAudience(url: string): string {
  return new URL(url).origin;
}

function credentialsInput(url: string): Credentials {
  const method = core.getInput("method");
  const token = core.getInput("token");
  if (token !== "") core.setSecret(token);
  const identity = core.getInput("identity");
  const audience = core.getInput("audience");
  if (!(METHODS as readonly string[]).includes(method)) {
    throw new InputError(`method must be "token" or "oidc", not ${JSON.stringify(method)}`);
  }
  if (method === "token") {
    if (token === "") {
      throw new InputError(
        "method token needs the token input (e.g. token: ${{ secrets.COFFER_TOKEN }}), or set method: oidc",
      );
    }
    for (const [name, value] of [
      ["identity", identity],
      ["audience", audience],
    ] as const) {
      if (value !== "") {
        throw new InputError(`${name} is for method: oidc; remove it or set method: oidc`);
      }
    }
    return { method: "token", token };
  }
  if (token !== "") {
    throw new InputError(
      "method oidc exchanges GitHub's ID token for a Coffer token: remove the token input, or set method: token",
    );
  }
  return {
    method: "oidc",
    identity: identity === "" ? undefined : identity,
    audience: audience === "" ? defaultAudience(url) : audience,
  };
}

/** Reads and checks every input; throws InputError or InputLineError (both name the input). */
export function readInputs(): ActionInputs {
  const url = urlInput();
  const credentials = credentialsInput(url);
  // Not trimmed: line numbers in errors count from the input's first line as written.
  const secrets = parseSecretsInput(core.getInput("secrets", { trimWhitespace: false }));
  const files = parseFilesInput(core.getInput("files", { trimWhitespace: false }));
  const exportEnv = booleanInput("export-env");
  const outputs = booleanInput("outputs");
  const ignoreMissing = booleanInput("ignore-missing");
  if (secrets.length === 0 && files.length === 0) {
    throw new InputError("nothing to fetch: give the secrets input, the files input, or both");
  }
  if (secrets.length > 0 && !exportEnv && !outputs) {
    throw new InputError(
      "with export-env: false and outputs: false, the secrets input would go nowhere; turn one on",
    );
  }
  return { url, credentials, secrets, files, exportEnv, outputs, ignoreMissing };
}
