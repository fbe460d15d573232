import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CofferError } from "../errors.js";
import { MAX_REFERENCE_LENGTH, MAX_VERSION_NUMBER } from "../model/limits.js";
import { ReferenceSyntaxError } from "./reference-error.js";
import {
  DEFAULT_BACKENDS,
  formatVaultReference,
  parseVaultReference,
  referenceIdentity,
  type BackendSyntax,
  type CacheOverrides,
  type ParseOptions,
  type VaultReference,
} from "./vault-reference.js";
import {
  expectOnlySyntaxErrors,
  FUZZ_RUNS,
  parserInput,
  principalName,
  secretName,
  syntaxError,
  unicodeText,
} from "./test-arbitraries.js";

const MAX_CACHE_SECONDS = 365 * 24 * 3600;

interface RefFields {
  backend: string;
  resource: readonly string[];
  key?: string | undefined;
  version?: number | undefined;
  options?: Record<string, string>;
  cache?: CacheOverrides;
}

/** A VaultReference as the parser builds it: absent fields are absent, not undefined. */
function vaultRef(fields: RefFields): VaultReference {
  const ref: VaultReference = {
    backend: fields.backend,
    resource: [...fields.resource],
    options: fields.options ?? {},
    cache: fields.cache ?? {},
  };
  if (fields.key !== undefined) ref.key = fields.key;
  if (fields.version !== undefined) ref.version = fields.version;
  return ref;
}

const segment = unicodeText({ minLength: 1, maxLength: 12 });
const cache = fc.record(
  {
    ttl: fc.nat({ max: MAX_CACHE_SECONDS }),
    negTtl: fc.nat({ max: MAX_CACHE_SECONDS }),
    resurrectTtl: fc.nat({ max: MAX_CACHE_SECONDS }),
  },
  { requiredKeys: [], noNullPrototype: true },
);
const version = fc.option(fc.integer({ min: 1, max: MAX_VERSION_NUMBER }), { nil: undefined });

/** Valid `env` and `file` references (Kong's path rule). */
const kongReference = fc
  .record({
    backend: fc.constantFrom("env", "file"),
    resource: fc.array(segment, { minLength: 1, maxLength: 4 }),
    key: fc.option(segment, { nil: undefined }),
    prefix: fc.option(segment, { nil: undefined }),
    cache,
    version,
  })
  .map(({ prefix, ...fields }) =>
    vaultRef({ ...fields, options: prefix === undefined ? {} : { prefix } }),
  );

/** Valid `coffer` references: NAME, OWNER/NAME, OWNER/NAME/KEY; a stage or a version. */
const cofferReference = fc
  .record({
    path: fc.oneof(
      secretName.map((name) => ({ resource: [name] })),
      fc.tuple(principalName, secretName).map(([owner, name]) => ({ resource: [owner, name] })),
      fc
        .tuple(principalName, secretName, unicodeText({ minLength: 1, maxLength: 40 }))
        .map(([owner, name, key]) => ({ resource: [owner, name], key })),
    ),
    pick: fc.oneof(
      fc.constant({}),
      fc.constantFrom("previous", "pending").map((stage) => ({ options: { stage } })),
      fc.integer({ min: 1, max: MAX_VERSION_NUMBER }).map((n) => ({ version: n })),
    ),
    cache,
  })
  .map(({ path, pick, cache }) => vaultRef({ backend: "coffer", ...path, ...pick, cache }));

const validReference = fc.oneof(kongReference, cofferReference);

function parse(text: string, options?: ParseOptions): VaultReference {
  return parseVaultReference(text, options);
}

describe("parseVaultReference ∘ formatVaultReference", () => {
  it("round-trips env and file references with arbitrary Unicode segments", () => {
    fc.assert(
      fc.property(kongReference, (ref) => {
        const text = formatVaultReference(ref);
        expect(parse(text)).toStrictEqual(ref);
      }),
      { numRuns: 2_000 },
    );
  });

  it("round-trips coffer references", () => {
    fc.assert(
      fc.property(cofferReference, (ref) => {
        const text = formatVaultReference(ref);
        expect(parse(text)).toStrictEqual(ref);
      }),
      { numRuns: 2_000 },
    );
  });

  it("round-trips references of a custom backend, empty option values included", () => {
    const backends: Record<string, BackendSyntax> = {
      vendor: { pathRule: "kong", options: ["region", "role"] },
    };
    const custom = fc
      .record({
        resource: fc.array(segment, { minLength: 1, maxLength: 3 }),
        key: fc.option(segment, { nil: undefined }),
        options: fc.record(
          { region: unicodeText({ maxLength: 8 }), role: unicodeText({ maxLength: 8 }) },
          { requiredKeys: [], noNullPrototype: true },
        ),
        cache,
        version,
      })
      .map((fields) => vaultRef({ backend: "vendor", ...fields }));
    fc.assert(
      fc.property(custom, (ref) => {
        expect(parse(formatVaultReference(ref, { backends }), { backends })).toStrictEqual(ref);
      }),
    );
  });

  it("writes a canonical text: escaped segments, sorted options, then the cache keys", () => {
    const ref = parse("{vault://env/a%20b/c?resurrect_ttl=3&ttl=1&prefix=P_&neg_ttl=2#2}");
    expect(formatVaultReference(ref)).toBe(
      "{vault://env/a%20b/c?prefix=P_&ttl=1&neg_ttl=2&resurrect_ttl=3#2}",
    );
    expect(formatVaultReference(parse("{vault://env//a///b//}"))).toBe("{vault://env/a/b/}");
    expect(formatVaultReference(parse("{vault://coffer/ml/x/}"))).toBe("{vault://coffer/ml/x}");
  });

  it("formatting is a fixed point of parsing", () => {
    fc.assert(
      fc.property(validReference, (ref) => {
        const text = formatVaultReference(ref);
        expect(formatVaultReference(parse(text))).toBe(text);
      }),
    );
  });

  it("refuses to format text that is not well-formed Unicode", () => {
    const lone = vaultRef({ backend: "env", resource: ["a\uD800"] });
    const error = syntaxError(() => formatVaultReference(lone));
    expect(error.reason).toMatch(/valid Unicode/);
  });
});

describe("referenceIdentity", () => {
  it("ignores the cache settings and nothing else", () => {
    fc.assert(
      fc.property(validReference, cache, (ref, other) => {
        expect(referenceIdentity({ ...ref, cache: other })).toBe(referenceIdentity(ref));
        expect(referenceIdentity(ref)).toBe(formatVaultReference({ ...ref, cache: {} }));
      }),
    );
    const id = (text: string) => referenceIdentity(parse(text));
    expect(id("{vault://env/x?ttl=5}")).toBe(id("{vault://env/x?neg_ttl=9&ttl=60}"));
    expect(id("{vault://env/x}")).not.toBe(id("{vault://env/x#2}"));
    expect(id("{vault://env/x}")).not.toBe(id("{vault://env/x/k}"));
    expect(id("{vault://env/x}")).not.toBe(id("{vault://env/x?prefix=A_}"));
    expect(id("{vault://env/x}")).not.toBe(id("{vault://file/x}"));
  });
});

describe("parseVaultReference throws only ReferenceSyntaxError", () => {
  it("on arbitrary, mostly near-valid input", () => {
    const input = parserInput(validReference.map(formatVaultReference), [
      "{vault://",
      "{vault://env/",
      "{vault://file/",
      "{vault://coffer/",
    ]);
    fc.assert(
      fc.property(input, (text) => {
        expectOnlySyntaxErrors(text, parse);
        let ref: VaultReference;
        try {
          ref = parse(text);
        } catch {
          return;
        }
        // Whatever parses is a valid reference: its canonical text parses back to it.
        const canonical = formatVaultReference(ref);
        if (canonical.length <= MAX_REFERENCE_LENGTH) expect(parse(canonical)).toStrictEqual(ref);
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it("with custom backends too", () => {
    const backends: Record<string, BackendSyntax> = {
      vendor: { pathRule: "kong", options: ["region"] },
      mine: { pathRule: "coffer", options: [] },
    };
    const input = parserInput(fc.constant("{vault://vendor/a/b?region=eu&ttl=3#1}"), [
      "{vault://vendor/",
      "{vault://mine/",
    ]);
    fc.assert(
      fc.property(input, (text) => expectOnlySyntaxErrors(text, (t) => parse(t, { backends }))),
      { numRuns: FUZZ_RUNS },
    );
  });
});

describe("Kong's path rules (env and file)", () => {
  it("reads one segment as the resource, with no key", () => {
    expect(parse("{vault://env/my-secret}")).toStrictEqual(
      vaultRef({ backend: "env", resource: ["my-secret"] }),
    );
  });

  it("reads the last of two or more segments as a key", () => {
    expect(parse("{vault://env/my-secret/key}")).toStrictEqual(
      vaultRef({ backend: "env", resource: ["my-secret"], key: "key" }),
    );
    expect(parse("{vault://file/dir/creds.json/password}")).toStrictEqual(
      vaultRef({ backend: "file", resource: ["dir", "creds.json"], key: "password" }),
    );
  });

  it("reads a trailing slash as: no key", () => {
    const ref = parse("{vault://env/a/b/}");
    expect(ref).toStrictEqual(vaultRef({ backend: "env", resource: ["a", "b"] }));
    expect("key" in ref).toBe(false);
    expect(parse("{vault://env/a/}")).toStrictEqual(vaultRef({ backend: "env", resource: ["a"] }));
  });

  it("counts runs of / as one", () => {
    expect(parse("{vault://env//a///b}")).toStrictEqual(
      vaultRef({ backend: "env", resource: ["a"], key: "b" }),
    );
    expect(parse("{vault://env//a///b//}")).toStrictEqual(
      vaultRef({ backend: "env", resource: ["a", "b"] }),
    );
  });

  it("refuses a missing path and an empty path", () => {
    const missing = syntaxError(() => parse("{vault://env}"));
    expect(missing.position).toBe("{vault://env".length);
    expect(missing.reason).toMatch(/path is missing/);
    for (const text of ["{vault://env/}", "{vault://env//}", "{vault://env///?ttl=1}"]) {
      const empty = syntaxError(() => parse(text));
      expect(empty.position).toBe("{vault://env/".length);
      expect(empty.reason).toMatch(/path is empty/);
    }
  });

  it("URL-unescapes segments; an escaped / stays inside its segment", () => {
    expect(parse("{vault://env/a%2Fb}")).toStrictEqual(
      vaultRef({ backend: "env", resource: ["a/b"] }),
    );
    expect(parse("{vault://env/a%2Fb/c%20d}")).toStrictEqual(
      vaultRef({ backend: "env", resource: ["a/b"], key: "c d" }),
    );
    expect(parse("{vault://file/%E6%97%A5%F0%9F%98%80/%7Bk%7D}")).toStrictEqual(
      vaultRef({ backend: "file", resource: ["日😀"], key: "{k}" }),
    );
    // + is a plus in a path (only a query reads + as a space).
    expect(parse("{vault://env/a+b}").resource).toStrictEqual(["a+b"]);
  });

  it("refuses malformed percent-escapes, pointing at the segment", () => {
    for (const bad of ["%ZZ", "%", "%E0%A4", "%ED%A0%80"]) {
      const text = `{vault://env/a/${bad}}`;
      const error = syntaxError(() => parse(text));
      expect(error.position).toBe(text.indexOf(bad));
      expect(error.reason).toMatch(/percent-escape/);
    }
  });

  it("takes a base-10 version number after #", () => {
    expect(parse("{vault://env/a#2}")).toStrictEqual(
      vaultRef({ backend: "env", resource: ["a"], version: 2 }),
    );
    expect(parse(`{vault://env/a#${MAX_VERSION_NUMBER}}`).version).toBe(MAX_VERSION_NUMBER);
    for (const bad of ["x", "", "0", "-1", "1.5", "0x10", "1e3", " 1", "2#2", "%32"]) {
      const text = `{vault://env/a#${bad}}`;
      const error = syntaxError(() => parse(text));
      expect(error.position).toBe(text.indexOf("#") + 1);
      expect(error.message).toContain(`at character ${text.indexOf("#") + 2}`);
    }
    expect(() => parse(`{vault://env/a#${MAX_VERSION_NUMBER + 1}}`)).toThrow(ReferenceSyntaxError);
  });

  it("takes a prefix option (unescaped, + as space), never empty", () => {
    expect(parse("{vault://env/a?prefix=MY_APP_}")).toStrictEqual(
      vaultRef({ backend: "env", resource: ["a"], options: { prefix: "MY_APP_" } }),
    );
    expect(parse("{vault://file/a?prefix=%2Fetc%2Fsecrets+x}").options).toStrictEqual({
      prefix: "/etc/secrets x",
    });
    const text = "{vault://env/a?ttl=1&prefix=}";
    const error = syntaxError(() => parse(text));
    expect(error.position).toBe(text.indexOf("prefix"));
    expect(error.reason).toMatch(/prefix must not be empty/);
  });
});

describe("query keys", () => {
  it("reads ttl, neg_ttl and resurrect_ttl as whole seconds", () => {
    expect(parse("{vault://env/a?ttl=300&neg_ttl=0&resurrect_ttl=31536000}").cache).toStrictEqual({
      ttl: 300,
      negTtl: 0,
      resurrectTtl: MAX_CACHE_SECONDS,
    });
    expect(parse("{vault://coffer/x?ttl=5}").cache).toStrictEqual({ ttl: 5 });
    expect(parse("{vault://env/a?&ttl=5&}").cache).toStrictEqual({ ttl: 5 });
  });

  it("refuses a cache setting that is not a non-negative integer, pointing at the value", () => {
    for (const bad of ["-1", "1.5", "abc", "", "1e3", "+1", "31536001", "9999999999"]) {
      const text = `{vault://env/a?neg_ttl=${bad}}`;
      const error = syntaxError(() => parse(text));
      expect(error.position).toBe(text.indexOf("=") + 1);
      expect(error.reason).toMatch(/neg_ttl takes whole seconds/);
    }
    const noValue = syntaxError(() => parse("{vault://env/a?ttl}"));
    expect(noValue.position).toBe("{vault://env/a?".length);
  });

  it("refuses an unknown key, naming the allowed ones", () => {
    const text = "{vault://env/a?foo=1}";
    const error = syntaxError(() => parse(text));
    expect(error.position).toBe(text.indexOf("foo"));
    expect(error.message).toContain('"foo"');
    expect(error.message).toContain("at character 16");
    for (const allowed of ["ttl", "neg_ttl", "resurrect_ttl", "prefix"]) {
      expect(error.message).toContain(allowed);
    }
    expect(error.message).not.toContain("stage");

    const coffer = syntaxError(() => parse("{vault://coffer/x?prefix=A}"));
    expect(coffer.reason).toBe(
      'unknown query key "prefix"; allowed: ttl, neg_ttl, resurrect_ttl, stage',
    );
    // Keys are compared after unescaping and are case-sensitive.
    expect(parse("{vault://env/a?%74tl=1}").cache).toStrictEqual({ ttl: 1 });
    expect(() => parse("{vault://env/a?TTL=1}")).toThrow(/unknown query key "TTL"/);
  });

  it("refuses a key given twice, pointing at the second", () => {
    const text = "{vault://env/a?ttl=1&prefix=A&ttl=2}";
    const error = syntaxError(() => parse(text));
    expect(error.position).toBe(text.lastIndexOf("ttl"));
    expect(error.reason).toMatch(/given twice/);
    expect(() => parse("{vault://env/a?prefix=A&prefix=A}")).toThrow(/given twice/);
  });

  it("refuses malformed escapes in a query", () => {
    const text = "{vault://env/a?prefix=%ZZ}";
    expect(syntaxError(() => parse(text)).position).toBe(text.indexOf("%ZZ"));
  });
});

describe("backends", () => {
  it("refuses an unknown backend, naming the known ones", () => {
    const error = syntaxError(() => parse("{vault://aws/a}"));
    expect(error.position).toBe("{vault://".length);
    expect(error.reason).toBe('unknown backend "aws"; known: coffer, env, file');
  });

  it("refuses a backend named after an Object.prototype member", () => {
    for (const text of [
      "{vault://constructor/x}",
      "{vault://constructor/x?ttl=1}",
      "{vault://constructor/a/b#1}",
    ]) {
      const error = syntaxError(() => parse(text));
      expect(error.reason).toMatch(/unknown backend "constructor"/);
    }
  });

  it("refuses a missing or malformed backend name", () => {
    expect(syntaxError(() => parse("{vault:///a}")).position).toBe(9);
    expect(syntaxError(() => parse("{vault://ENV/a}")).reason).toMatch(/backend name/);
    expect(syntaxError(() => parse("{vault://e%6Ev/a}")).position).toBe(9);
  });

  it("takes custom backends through the backends option", () => {
    const backends: Record<string, BackendSyntax> = {
      aws: {
        pathRule: "kong",
        options: ["region"],
        checkOption: (_name, value) => (/^[a-z]{2}-[a-z]+-\d$/.test(value) ? undefined : "bad"),
      },
      mine: {
        pathRule: "coffer",
        options: [],
        checkReference: (ref) => (ref.version === 7 ? "seven is unlucky" : undefined),
      },
    };
    expect(parse("{vault://aws/db/password?region=eu-west-1&ttl=9}", { backends })).toStrictEqual(
      vaultRef({
        backend: "aws",
        resource: ["db"],
        key: "password",
        options: { region: "eu-west-1" },
        cache: { ttl: 9 },
      }),
    );
    expect(parse("{vault://mine/ml/x/k}", { backends })).toStrictEqual(
      vaultRef({ backend: "mine", resource: ["ml", "x"], key: "k" }),
    );
    expect(() => parse("{vault://aws/db?region=mars}", { backends })).toThrow(/bad/);
    const unlucky = syntaxError(() => parse("{vault://mine/x#7}", { backends }));
    expect(unlucky.reason).toBe("seven is unlucky");
    expect(unlucky.position).toBe(0);
    // The option replaces the defaults.
    expect(syntaxError(() => parse("{vault://env/a}", { backends })).reason).toBe(
      'unknown backend "env"; known: aws, mine',
    );
    expect(parse("{vault://env/a}", { backends: DEFAULT_BACKENDS }).backend).toBe("env");
  });
});

describe("the coffer backend", () => {
  it("reads NAME, OWNER/NAME and OWNER/NAME/KEY", () => {
    expect(parse("{vault://coffer/openai_key}")).toStrictEqual(
      vaultRef({ backend: "coffer", resource: ["openai_key"] }),
    );
    expect(parse("{vault://coffer/ml/openai_key}")).toStrictEqual(
      vaultRef({ backend: "coffer", resource: ["ml", "openai_key"] }),
    );
    expect(parse("{vault://coffer/ml/db/password}")).toStrictEqual(
      vaultRef({ backend: "coffer", resource: ["ml", "db"], key: "password" }),
    );
    expect(parse("{vault://coffer/ml/db/a%2Fb%20c}").key).toBe("a/b c");
    expect(parse("{vault://coffer//ml//db/}")).toStrictEqual(
      vaultRef({ backend: "coffer", resource: ["ml", "db"] }),
    );
  });

  it("refuses four segments, a bad owner and a bad name, pointing into the path", () => {
    const cases: [string, RegExp][] = [
      ["{vault://coffer/ml/db/password/extra}", /NAME, OWNER\/NAME or OWNER\/NAME\/KEY/],
      ["{vault://coffer/ML/db}", /owner "ML" is not a user or team name/],
      ["{vault://coffer/-ml/db}", /owner "-ml"/],
      ["{vault://coffer/ml/1db}", /"1db" is not a secret name/],
      ["{vault://coffer/1db}", /"1db" is not a secret name/],
      ["{vault://coffer/ml/d%20b}", /"d b" is not a secret name/],
      [`{vault://coffer/ml/${"a".repeat(129)}}`, /is not a secret name/],
      [`{vault://coffer/${"a".repeat(40)}/db}`, /is not a user or team name/],
      [`{vault://coffer/ml/db/${"k".repeat(257)}}`, /a key is at most 256 characters/],
    ];
    for (const [text, reason] of cases) {
      const error = syntaxError(() => parse(text));
      expect(error.reason).toMatch(reason);
      expect(error.position).toBeGreaterThanOrEqual("{vault://coffer/".length);
      expect(error.position).toBeLessThan(text.length - 1);
    }
    expect(parse(`{vault://coffer/ml/db/${"k".repeat(256)}}`).key).toHaveLength(256);
  });

  it("points at the offending segment exactly", () => {
    const at = (text: string) => syntaxError(() => parse(text)).position;
    expect(at("{vault://coffer/ML/db}")).toBe("{vault://coffer/".length);
    expect(at("{vault://coffer//ml///1db}")).toBe("{vault://coffer//ml///".length);
    expect(at("{vault://coffer/1db}")).toBe("{vault://coffer/".length);
    expect(at("{vault://coffer/ml/db/key/extra}")).toBe("{vault://coffer/ml/db/key/".length);
    expect(at(`{vault://coffer/ml/db/${"k".repeat(257)}}`)).toBe("{vault://coffer/ml/db/".length);
  });

  it("formatting refuses a key without an owner, which could not be read back", () => {
    const keyless = { backend: "coffer", resource: ["db"], key: "user", options: {}, cache: {} };
    expect(syntaxError(() => formatVaultReference(keyless)).reason).toMatch(/OWNER\/NAME\/KEY/);
  });

  it("takes ?stage=previous|pending", () => {
    expect(parse("{vault://coffer/ml/x?stage=previous}")).toStrictEqual(
      vaultRef({ backend: "coffer", resource: ["ml", "x"], options: { stage: "previous" } }),
    );
    expect(parse("{vault://coffer/x?stage=pending&ttl=1}")).toStrictEqual(
      vaultRef({
        backend: "coffer",
        resource: ["x"],
        options: { stage: "pending" },
        cache: { ttl: 1 },
      }),
    );
    for (const bad of ["bogus", "", "PREVIOUS"]) {
      const text = `{vault://coffer/x?stage=${bad}}`;
      const error = syntaxError(() => parse(text));
      expect(error.position).toBe(text.indexOf("stage"));
      expect(error.reason).toMatch(/stage must be one of .*previous, pending/);
    }
  });

  it("takes #N as a version, but not together with a stage", () => {
    expect(parse("{vault://coffer/ml/x#3}")).toStrictEqual(
      vaultRef({ backend: "coffer", resource: ["ml", "x"], version: 3 }),
    );
    const error = syntaxError(() => parse("{vault://coffer/ml/x?stage=previous#2}"));
    expect(error.reason).toMatch(/version .* or a stage, not both/);
    expect(error.position).toBe(0);
  });
});

describe("the overall shape", () => {
  it("says where and why", () => {
    const text = "{vault://env/a b}";
    const error = syntaxError(() => parse(text));
    expect(error).toBeInstanceOf(CofferError);
    expect(error.name).toBe("ReferenceSyntaxError");
    expect(error.errorCode).toBe("INVALID_REQUEST");
    expect(error.httpStatus).toBe(400);
    expect(error.position).toBe(14);
    expect(error.message).toBe(
      `bad reference "{vault://env/a…" at character 15: spaces, control characters and braces must be percent-encoded`,
    );
    expect(error.details).toStrictEqual({
      reference: "{vault://env/a…",
      position: 14,
      reason: error.reason,
    });
  });

  it("points at the offending character", () => {
    const cases: [string, number][] = [
      ["vault://env/a", 0],
      ["{vault:/env/a}", 0],
      [" {vault://env/a}", 0],
      ["{vault://env/a", "{vault://env/a".length],
      ["{vault://env/a}b}", 14],
      ["{vault://env/a}}", 14],
      ["{vault://env/a{b}", 14],
      ["{vault://env/a\tb}", 14],
      ["{vault://env/a?prefix=\u007f}", 22],
    ];
    for (const [text, position] of cases) {
      expect(syntaxError(() => parse(text)).position, text).toBe(position);
    }
  });

  it("refuses lone surrogates, which no percent-escape can carry", () => {
    for (const text of [
      "{vault://env/a\uD800}",
      "{vault://env/a\uDC00b}",
      "{vault://coffer/ml/db/\uDC00}",
      "{vault://env/a?prefix=\uD800}",
    ]) {
      const error = syntaxError(() => parse(text));
      expect(error.reason).toMatch(/well-formed Unicode/);
      expect(error.position).toBe(text.search(/[\uD800-\uDFFF]/));
    }
    expect(parse("{vault://env/\uD83D\uDE00}").resource).toStrictEqual(["😀"]);
  });

  it("refuses references longer than the limit", () => {
    const text = `{vault://env/${"a".repeat(MAX_REFERENCE_LENGTH)}}`;
    const error = syntaxError(() => parse(text));
    expect(error.position).toBe(0);
    expect(error.message.length).toBeLessThan(400);
  });
});
