/**
 * Variables an `OWNER/*` line may not set: the rule lives in core (`coffer run --all` keeps it
 * too), see packages/core/src/references/env-names.ts.
 */
export { isReservedVariable, reservedPrefixOf } from "@coffer/core";
