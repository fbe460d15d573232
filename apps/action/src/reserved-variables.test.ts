import { describe, expect, it } from "vitest";
import { isReservedVariable, reservedPrefixOf } from "./reserved-variables.js";

describe("reserved variables", () => {
  it("include the names that decide what later steps run, in any case", () => {
    for (const name of [
      "PATH",
      "Path",
      "HOME",
      "BASH_ENV",
      "ENV",
      "IFS",
      "PROMPT_COMMAND",
      "NODE_OPTIONS",
      "PYTHONPATH",
      "PERL5OPT",
      "RUBYOPT",
      "JAVA_TOOL_OPTIONS",
      "_JAVA_OPTIONS",
      "CLASSPATH",
      "GIT_SSH_COMMAND",
      "GIT_ASKPASS",
      "SSH_ASKPASS",
      "EDITOR",
      "PAGER",
      "https_proxy",
      "HTTP_PROXY",
      "NODE_TLS_REJECT_UNAUTHORIZED",
      "GIT_SSL_NO_VERIFY",
      "PIP_INDEX_URL",
      "RUSTC_WRAPPER",
      "ComSpec",
      "PSModulePath",
    ]) {
      expect(isReservedVariable(name), name).toBe(true);
    }
  });

  it("include whole families by their prefix", () => {
    for (const name of [
      "LD_PRELOAD",
      "ld_library_path",
      "DYLD_INSERT_LIBRARIES",
      "GITHUB_TOKEN",
      "GITHUB_ENV",
      "RUNNER_TEMP",
      "ACTIONS_ID_TOKEN_REQUEST_URL",
      "INPUT_TOKEN",
      "STATE_ISPOST",
      "GIT_CONFIG_COUNT",
      "NPM_CONFIG_SCRIPT_SHELL",
    ]) {
      expect(isReservedVariable(name), name).toBe(true);
    }
    expect(reservedPrefixOf("github_x")).toBe("GITHUB_");
    expect(reservedPrefixOf("GIT")).toBeUndefined();
  });

  it("leave ordinary names, and names that only contain a reserved one", () => {
    for (const name of [
      "OPENAI_API_KEY",
      "ML_PATH",
      "PATHS",
      "MY_GITHUB_TOKEN",
      "GH_TOKEN",
      "NODE_AUTH_TOKEN",
      "GIT_AUTHOR_NAME",
      "LD",
      "HOMEDIR",
    ]) {
      expect(isReservedVariable(name), name).toBe(false);
    }
  });
});
