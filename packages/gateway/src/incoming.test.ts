import { DEFAULT_BACKENDS } from "@coffer/core";
import { describe, expect, it } from "vitest";
import { compileAllowList, findAllowed } from "./incoming.js";

const options = { backends: DEFAULT_BACKENDS };

const admitted = (patterns: string[], text: string): string[] =>
  (findAllowed(text, compileAllowList(patterns, options), options) ?? []).map((f) => f.id);

describe("incoming allow-list", () => {
  it("matches exact references by their canonical identity", () => {
    const allow = ["{vault://coffer/ml/openai_key}"];
    expect(admitted(allow, "Bearer {vault://coffer/ml/openai_key}")).toEqual([
      "{vault://coffer/ml/openai_key}",
    ]);
    expect(admitted(allow, "{vault://coffer/ml/openai_key?ttl=5}")).toHaveLength(1); // cache keys
    expect(admitted(allow, "{vault://coffer/ml//openai_key}")).toHaveLength(1); // runs of /
    expect(admitted(allow, "{vault://coffer/ml/openai_key#2}")).toEqual([]);
    expect(admitted(allow, "{vault://coffer/ml/openai_key?stage=previous}")).toEqual([]);
    expect(admitted(allow, "{vault://coffer/ml/openai_key/k}")).toEqual([]);
  });

  it("lets * stand within one path segment only", () => {
    const allow = ["{vault://env/app-*}"];
    expect(admitted(allow, "{vault://env/app-db} {vault://env/app-}")).toEqual([
      "{vault://env/app-db}",
      "{vault://env/app-}",
    ]);
    expect(admitted(allow, "{vault://env/app-x/key}")).toEqual([]);
    expect(admitted(allow, "{vault://env/x?prefix=COFFER_}")).toEqual([]);
    expect(admitted(allow, "{vault://env/app-x?prefix=A}")).toEqual([]);
    // An escaped "/" is a separator to the backend: * never spans one.
    expect(
      admitted(["{vault://file/public/*/}"], "{vault://file/public/..%2Fprivate%2Fdb/}"),
    ).toEqual([]);
    expect(admitted(["{vault://coffer/*/openai_key}"], "{vault://coffer/ml/openai_key}")).toEqual([
      "{vault://coffer/ml/openai_key}",
    ]);
  });

  it("skips malformed and unknown references, finding the ones after them", () => {
    const allow = ["{vault://env/*}"];
    expect(
      admitted(allow, "{vault://nope/a} {vault://env/ {vault://env/b} {vault://env/c"),
    ).toEqual(["{vault://env/b}"]);
  });

  it("refuses patterns that are not references", () => {
    expect(() => compileAllowList(["{vault://env/a*"], options)).toThrow(
      'incoming.allow: bad reference "{vault://env/a*" at character 16: no closing "}"',
    );
    expect(() => compileAllowList(["{vault://env/a#*}"], options)).toThrow(
      "# takes a base-10 version number",
    );
  });
});
