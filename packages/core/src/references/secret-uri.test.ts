import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_VERSION_NUMBER } from "../model/limits.js";
import type { SecretUri } from "../model/types.js";
import { formatSecretUri, parseSecretRef, parseSecretUri } from "./secret-uri.js";
import {
  expectOnlySyntaxErrors,
  FUZZ_RUNS,
  parserInput,
  principalName,
  secretName,
  syntaxError,
} from "./test-arbitraries.js";

const context = { org: "default", defaultOwner: "alice" };

const secretUri: fc.Arbitrary<SecretUri> = fc
  .record({
    org: principalName,
    owner: principalName,
    name: secretName,
    version: fc.option(fc.integer({ min: 1, max: MAX_VERSION_NUMBER }), { nil: undefined }),
  })
  .map(({ version, ...uri }) => (version === undefined ? uri : { ...uri, version }));

describe("formatSecretUri / parseSecretUri", () => {
  it("round-trips", () => {
    fc.assert(
      fc.property(secretUri, (uri) => {
        const text = formatSecretUri(uri);
        expect(parseSecretUri(text)).toStrictEqual(uri);
        expect(parseSecretRef(text, context)).toStrictEqual(uri);
      }),
    );
  });

  it("reads secret://ORG/OWNER/NAME[#N]", () => {
    expect(parseSecretUri("secret://default/ml/openai_key")).toStrictEqual({
      org: "default",
      owner: "ml",
      name: "openai_key",
    });
    expect(parseSecretUri("secret://acme/bob/DB-Pass_2#12")).toStrictEqual({
      org: "acme",
      owner: "bob",
      name: "DB-Pass_2",
      version: 12,
    });
    expect(formatSecretUri({ org: "o", owner: "p", name: "n", version: 3 })).toBe(
      "secret://o/p/n#3",
    );
  });

  it("says where and why a URI is wrong", () => {
    const cases: [string, number, RegExp][] = [
      ["secrets://default/ml/x", 0, /must start with "secret:\/\/"/],
      ["default/ml/x", 0, /must start with/],
      ["secret://default/x", 9, /secret:\/\/ORG\/OWNER\/NAME/],
      ["secret://default/ml/x/y", 9, /secret:\/\/ORG\/OWNER\/NAME/],
      ["secret://Default/ml/x", 9, /bad org "Default"/],
      ["secret:///ml/x", 9, /bad org ""/],
      ["secret://default/m_l/x", 17, /bad owner "m_l"/],
      ["secret://default/ml/1x", 20, /bad name "1x"/],
      ["secret://default/ml/", 20, /bad name ""/],
      ["secret://default/ml/x#", 22, /# takes a version number/],
      ["secret://default/ml/x#0", 22, /# takes a version number/],
      ["secret://default/ml/x#-1", 22, /# takes a version number/],
      ["secret://default/ml/x#1.5", 22, /# takes a version number/],
      ["secret://default/ml/x#v2", 22, /# takes a version number/],
      [`secret://default/ml/x#${MAX_VERSION_NUMBER + 1}`, 22, /# takes a version number/],
      [`secret://default/ml/${"a".repeat(250)}`, 0, /longer than 256/],
    ];
    for (const [text, position, reason] of cases) {
      const error = syntaxError(() => parseSecretUri(text));
      expect(error.position, text).toBe(position);
      expect(error.reason, text).toMatch(reason);
      expect(error.message).toContain(`at character ${position + 1}`);
    }
  });
});

describe("parseSecretRef", () => {
  it("reads NAME with the default owner", () => {
    expect(parseSecretRef("openai_key", context)).toStrictEqual({
      org: "default",
      owner: "alice",
      name: "openai_key",
    });
    expect(parseSecretRef("openai_key#4", context)).toStrictEqual({
      org: "default",
      owner: "alice",
      name: "openai_key",
      version: 4,
    });
  });

  it("reads OWNER/NAME", () => {
    expect(parseSecretRef("ml/openai_key", context)).toStrictEqual({
      org: "default",
      owner: "ml",
      name: "openai_key",
    });
    expect(parseSecretRef("ml/openai_key#2", { org: "acme", defaultOwner: "bob" })).toStrictEqual({
      org: "acme",
      owner: "ml",
      name: "openai_key",
      version: 2,
    });
  });

  it("reads a full URI as it is, whatever the context", () => {
    expect(parseSecretRef("secret://other/ml/x#1", context)).toStrictEqual({
      org: "other",
      owner: "ml",
      name: "x",
      version: 1,
    });
  });

  it("round-trips the short forms", () => {
    fc.assert(
      fc.property(
        fc.option(principalName, { nil: undefined }),
        secretName,
        fc.option(fc.integer({ min: 1, max: MAX_VERSION_NUMBER }), { nil: undefined }),
        (owner, name, version) => {
          const text = `${owner === undefined ? "" : `${owner}/`}${name}${version === undefined ? "" : `#${version}`}`;
          const expected: SecretUri = { org: context.org, owner: owner ?? "alice", name };
          if (version !== undefined) expected.version = version;
          expect(parseSecretRef(text, context)).toStrictEqual(expected);
        },
      ),
    );
  });

  it("says where and why a short form is wrong", () => {
    const cases: [string, number, RegExp][] = [
      ["", 0, /bad name ""/],
      ["ml/db/password", 0, /NAME, OWNER\/NAME or secret:\/\/ORG\/OWNER\/NAME/],
      ["Ml/x", 0, /bad owner "Ml"/],
      ["ml/", 3, /bad name ""/],
      ["/x", 0, /bad owner ""/],
      ["ml/1x", 3, /bad name "1x"/],
      ["x y", 0, /bad name "x y"/],
      ["x#", 2, /# takes a version number/],
      ["ml/x#0", 5, /# takes a version number/],
      [`${"a".repeat(201)}`, 0, /longer than 200/],
    ];
    for (const [text, position, reason] of cases) {
      const error = syntaxError(() => parseSecretRef(text, context));
      expect(error.position, text).toBe(position);
      expect(error.reason, text).toMatch(reason);
    }
  });
});

describe("the URI parsers throw only ReferenceSyntaxError", () => {
  const valid = fc.oneof(
    secretUri.map(formatSecretUri),
    fc.tuple(principalName, secretName).map(([owner, name]) => `${owner}/${name}`),
    secretName,
  );
  const input = parserInput(valid, ["secret://", "secret://default/", "ml/"]);

  it("parseSecretUri", () => {
    fc.assert(
      fc.property(input, (text) => expectOnlySyntaxErrors(text, parseSecretUri)),
      { numRuns: FUZZ_RUNS },
    );
  });

  it("parseSecretRef", () => {
    fc.assert(
      fc.property(input, (text) =>
        expectOnlySyntaxErrors(text, (t) => {
          const uri = parseSecretRef(t, context);
          // Whatever parses formats back to a URI that parses to the same thing.
          expect(parseSecretUri(formatSecretUri(uri))).toStrictEqual(uri);
        }),
      ),
      { numRuns: FUZZ_RUNS },
    );
  });
});
