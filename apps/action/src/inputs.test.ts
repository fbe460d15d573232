import { afterEach, describe, expect, it, vi } from "vitest";
import { readInputs } from "./inputs.js";
import { actionDefaults, inputEnv } from "./test-inputs.js";
import { captureStdout } from "./test-stdout.js";

const stdout = captureStdout();

/** Only these inputs (over action.yml's defaults), as the runner sets them. */
function given(inputs: Record<string, string>): void {
  vi.unstubAllEnvs();
  for (const [name, value] of Object.entries(inputEnv(inputs))) vi.stubEnv(name, value);
}

const failure = (inputs: Record<string, string>): string => {
  given(inputs);
  try {
    readInputs();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected readInputs to throw");
};

const URL_ONLY = { url: "https://coffer.example.com:8443/base" };

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("readInputs", () => {
  it("runs with action.yml's defaults", () => {
    expect(actionDefaults()).toEqual({
      method: "token",
      "export-env": "true",
      outputs: "false",
      "ignore-missing": "false",
    });
  });

  it("reads a token sign-in and masks the token before anything else", () => {
    given({ ...URL_ONLY, token: "cft_fake_token", secrets: "ml/a\n", files: "ml/b > b.txt" });
    const inputs = readInputs();
    expect(inputs).toMatchObject({
      url: "https://coffer.example.com:8443/base",
      credentials: { method: "token", token: "cft_fake_token" },
      exportEnv: true,
      outputs: false,
      ignoreMissing: false,
    });
    expect(inputs.secrets).toHaveLength(1);
    expect(inputs.files).toHaveLength(1);
    expect(stdout).toEqual(["::add-mask::cft_fake_token\n"]);
  });

  it("reads an OIDC sign-in, the audience defaulting to the url's origin", () => {
    given({ ...URL_ONLY, method: "oidc", secrets: "ml/a" });
    expect(readInputs().credentials).toEqual({
      method: "oidc",
      identity: undefined,
      audience: "https://coffer.example.com:8443",
    });
    given({ ...URL_ONLY, method: "oidc", identity: "deploy", audience: "coffer", secrets: "a" });
    expect(readInputs().credentials).toEqual({
      method: "oidc",
      identity: "deploy",
      audience: "coffer",
    });
  });

  it("refuses inputs of the other method, and an unknown method", () => {
    expect(failure({ ...URL_ONLY, secrets: "ml/a" })).toBe(
      "method token needs the token input (e.g. token: ${{ secrets.COFFER_TOKEN }}), or set method: oidc",
    );
    expect(failure({ ...URL_ONLY, token: "cft_x", identity: "deploy", secrets: "ml/a" })).toBe(
      "identity is for method: oidc; remove it or set method: oidc",
    );
    expect(failure({ ...URL_ONLY, token: "cft_x", audience: "coffer", secrets: "ml/a" })).toBe(
      "audience is for method: oidc; remove it or set method: oidc",
    );
    expect(failure({ ...URL_ONLY, method: "oidc", token: "cft_x", secrets: "ml/a" })).toBe(
      "method oidc exchanges GitHub's ID token for a Coffer token: remove the token input, or set method: token",
    );
    expect(failure({ ...URL_ONLY, method: "OIDC", secrets: "ml/a" })).toBe(
      'method must be "token" or "oidc", not "OIDC"',
    );
  });

  it("checks the url without repeating it", () => {
    expect(failure({ token: "cft_x", secrets: "ml/a" })).toBe(
      "Input required and not supplied: url",
    );
    expect(failure({ url: "coffer.example.com", token: "cft_x", secrets: "ml/a" })).toBe(
      "url is not a URL (e.g. https://coffer.example.com)",
    );
    expect(failure({ url: "ftp://coffer", token: "cft_x", secrets: "ml/a" })).toBe(
      "url must be https:// (or http:// on the loopback), not ftp://",
    );
    expect(failure({ url: "https://u:fake-pass@coffer", token: "cft_x", secrets: "a" })).toBe(
      "url must not hold credentials; give the token input instead",
    );
  });

  it("takes http only on the loopback address: elsewhere the token would travel in clear", () => {
    const http = (url: string): string => failure({ url, token: "cft_x", secrets: "ml/a" });
    const inClear = (origin: string): string =>
      `url: ${origin} must be https (http only on 127.0.0.1, localhost or [::1]): the token would travel in clear`;
    expect(http("http://coffer.example.com/base?x=1")).toBe(inClear("http://coffer.example.com"));
    expect(http("http://10.0.0.5:7700")).toBe(inClear("http://10.0.0.5:7700"));
    expect(http("http://localhost.example.com")).toBe(inClear("http://localhost.example.com"));
    expect(http("http://127.0.0.2:7700")).toBe(inClear("http://127.0.0.2:7700"));
    for (const url of [
      "https://coffer.example.com",
      "http://127.0.0.1:7700",
      "http://LOCALHOST:7700/base",
      "http://[::1]:7700",
    ]) {
      given({ url, token: "cft_x", secrets: "ml/a" });
      expect(readInputs().url).toBe(url);
    }
  });

  it("takes strict YAML booleans only", () => {
    const base = { ...URL_ONLY, token: "cft_x", secrets: "ml/a" };
    given({ ...base, "export-env": "False", outputs: "TRUE", "ignore-missing": "true" });
    expect(readInputs()).toMatchObject({ exportEnv: false, outputs: true, ignoreMissing: true });
    expect(failure({ ...base, "export-env": "yes" })).toBe(
      'export-env must be true or false (YAML: true | True | TRUE | false | False | FALSE), not "yes"',
    );
    expect(failure({ ...base, "ignore-missing": "" })).toBe(
      'ignore-missing must be true or false (YAML: true | True | TRUE | false | False | FALSE), not ""',
    );
  });

  it("counts lines from the input's first line as written, blank ones included", () => {
    expect(failure({ ...URL_ONLY, token: "cft_x", secrets: "\n\n  ml/9bad\n" })).toBe(
      'secrets line 3: "ml/9bad" is not a reference: "9bad" is not a secret name',
    );
    expect(failure({ ...URL_ONLY, token: "cft_x", files: "\nml/a" })).toBe(
      'files line 2: give the file\'s path after ">"',
    );
  });

  it("refuses a step that would fetch nothing or put it nowhere", () => {
    expect(failure({ ...URL_ONLY, token: "cft_x", secrets: "# only a comment\n" })).toBe(
      "nothing to fetch: give the secrets input, the files input, or both",
    );
    expect(failure({ ...URL_ONLY, token: "cft_x", secrets: "ml/a", "export-env": "false" })).toBe(
      "with export-env: false and outputs: false, the secrets input would go nowhere; turn one on",
    );
  });
});
