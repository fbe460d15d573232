/** Names, sizes and defaults of SPEC §2–§5, in one place; schemas and parsers build on these. */

/** Users, teams and the org share this grammar (SPEC §2). */
export const PRINCIPAL_NAME_SOURCE = "[a-z][a-z0-9-]{0,38}";
/** Secret names are case-sensitive (SPEC §2). */
export const SECRET_NAME_SOURCE = "[A-Za-z_][A-Za-z0-9_-]{0,127}";

export const PRINCIPAL_NAME_RE = new RegExp(`^${PRINCIPAL_NAME_SOURCE}$`);
export const SECRET_NAME_RE = new RegExp(`^${SECRET_NAME_SOURCE}$`);

/** A secret value is a UTF-8 string of at most 64 KiB (counted in UTF-8 bytes). */
export const MAX_SECRET_VALUE_BYTES = 64 * 1024;
export const MAX_DESCRIPTION_LENGTH = 1024;
/** A JSON key picked out of a secret value by a reference (`OWNER/NAME/KEY`). */
export const MAX_JSON_KEY_LENGTH = 256;
/** Longest reference text the parsers accept (a URL path of names plus a short query). */
export const MAX_REFERENCE_LENGTH = 2048;

export const DEFAULT_MAX_VERSIONS = 10;
export const MIN_RECOVERY_DAYS = 7;
export const MAX_RECOVERY_DAYS = 30;
export const DEFAULT_RECOVERY_DAYS = 7;
export const MAX_BATCH_REVEAL = 100;
/** Calls in one tRPC batch (one HTTP request, one authentication). */
export const MAX_BATCH_CALLS = 50;
export const MAX_TOKEN_SCOPES = 32;
export const MAX_VERSION_NUMBER = 2 ** 31 - 1;

export const DEFAULT_ORG = "default";

/** The longest cache setting (ttl, neg_ttl, resurrect_ttl) in seconds: a year. */
export const MAX_CACHE_SECONDS = 365 * 24 * 3600;
