/**
 * Environment variable names that secrets become, shared by the Action (`OWNER/*` lines) and
 * `coffer run --all`: the same secret gets the same variable in both. Moved here from the
 * Action, which re-exports it.
 */

/** The environment variable a name (or key) becomes: uppercased, `-` → `_`. */
export function envNameOf(name: string): string {
  return name.replaceAll("-", "_").toUpperCase();
}

/** A prefix to suggest for `OWNER/*`: the owner's env name and `_`, unless that is reserved. */
export function suggestedPrefix(owner: string): string {
  const prefix = `${envNameOf(owner)}_`;
  return reservedPrefixOf(prefix) === undefined ? prefix : `COFFER_${prefix}`;
}

/**
 * Variables an `OWNER/*` line may not set. A wildcard exports whatever secrets the owner holds,
 * so whoever manages that owner's secrets (a team, not the repository's admins) would choose
 * the names; a secret named `path` or `ld_preload` would then decide what every later step of
 * every workflow using the line runs. An explicit line (`ml/x > PATH`) is the workflow author's
 * own choice and may set any of these.
 *
 * The list names what changes which program runs or what it loads at start: a deny-list, so
 * never complete, which is why a prefix (`ml/* > ML_`) is the safe way to write a wildcard.
 * Names compare uppercased: Windows runners read variables case-insensitively (`Path`).
 */

/** Exact names, by what they hijack. */
const RESERVED_NAMES = new Set([
  // Shells: where commands are found, what a shell sources or runs before each command.
  "PATH",
  "HOME",
  "SHELL",
  "ENV",
  "BASH_ENV",
  "IFS",
  "CDPATH",
  "PS4",
  "PROMPT_COMMAND",
  "ZDOTDIR",
  // Language runtimes: options and module paths read by every process started.
  "NODE_OPTIONS",
  "NODE_PATH",
  "PYTHONPATH",
  "PYTHONSTARTUP",
  "PYTHONHOME",
  "PERL5LIB",
  "PERL5OPT",
  "PERLLIB",
  "PERL5DB",
  "RUBYOPT",
  "RUBYLIB",
  "JAVA_TOOL_OPTIONS",
  "JDK_JAVA_OPTIONS",
  "_JAVA_OPTIONS",
  "CLASSPATH",
  // git and ssh: commands they run for transport, credentials, diffs and new repositories.
  "GIT_SSH",
  "GIT_SSH_COMMAND",
  "GIT_ASKPASS",
  "SSH_ASKPASS",
  "GIT_EXEC_PATH",
  "GIT_PROXY_COMMAND",
  "GIT_EXTERNAL_DIFF",
  "GIT_TEMPLATE_DIR",
  // Programs other programs start for the user.
  "EDITOR",
  "VISUAL",
  "PAGER",
  "LESSOPEN",
  "LESSCLOSE",
  // glibc loads conversion modules from here.
  "GCONV_PATH",
  // Where traffic goes and whom it trusts: a proxy or a disabled check would read the
  // GITHUB_TOKEN that checkout and git push carry.
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "ALL_PROXY",
  "NO_PROXY",
  "NODE_TLS_REJECT_UNAUTHORIZED",
  "NODE_EXTRA_CA_CERTS",
  "GIT_SSL_NO_VERIFY",
  "GIT_SSL_CAINFO",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
  "REQUESTS_CA_BUNDLE",
  "CURL_CA_BUNDLE",
  // Package and build tools: where packages come from, what wraps the compiler.
  "PIP_INDEX_URL",
  "PIP_EXTRA_INDEX_URL",
  "GOFLAGS",
  "GOPROXY",
  "RUSTC_WRAPPER",
  "GIT_EDITOR",
  // Windows: the command interpreter and what counts as a program.
  "COMSPEC",
  "PATHEXT",
  "PSMODULEPATH",
]);

/** Whole families, by their start. */
const RESERVED_PREFIXES = [
  // The dynamic loaders (LD_PRELOAD, LD_LIBRARY_PATH; DYLD_INSERT_LIBRARIES on macOS).
  "LD_",
  "DYLD_",
  // The runner's own: its files (GITHUB_ENV, GITHUB_PATH…), its token endpoints
  // (ACTIONS_ID_TOKEN_REQUEST_URL…), the inputs and state of later actions.
  "GITHUB_",
  "RUNNER_",
  "ACTIONS_",
  "INPUT_",
  "STATE_",
  // git configuration from the environment (GIT_CONFIG_COUNT, _KEY_n, _VALUE_n, _GLOBAL).
  "GIT_CONFIG_",
  // npm reads any option from npm_config_* (script-shell, node-options…).
  "NPM_CONFIG_",
] as const;

/** The reserved prefix a name (or a wildcard's prefix) starts with, if any. */
export function reservedPrefixOf(name: string): string | undefined {
  const upper = name.toUpperCase();
  return RESERVED_PREFIXES.find((prefix) => upper.startsWith(prefix));
}

/** Whether a wildcard may not set this variable. */
export function isReservedVariable(name: string): boolean {
  return RESERVED_NAMES.has(name.toUpperCase()) || reservedPrefixOf(name) !== undefined;
}
