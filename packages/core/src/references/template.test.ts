import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ReferenceSyntaxError } from "./reference-error.js";
import {
  formatTemplate,
  formatTemplateRef,
  parseTemplate,
  templateToVaultReference,
  type TemplatePart,
  type TemplateRef,
} from "./template.js";
import {
  expectOnlySyntaxErrors,
  FUZZ_RUNS,
  parserInput,
  principalName,
  secretName,
  syntaxError,
  unicodeText,
} from "./test-arbitraries.js";
import { formatVaultReference } from "./vault-reference.js";

/** Keys cannot hold `/` or `}` in a template (there is no escape for them). */
const templateKey = unicodeText({ minLength: 1, maxLength: 20 }).map((key) =>
  key.replaceAll("/", "_").replaceAll("}", ")"),
);

const templateRef: fc.Arbitrary<TemplateRef> = fc.oneof(
  secretName.map((name) => ({ name })),
  fc.tuple(principalName, secretName).map(([owner, name]) => ({ owner, name })),
  fc
    .tuple(principalName, secretName, templateKey)
    .map(([owner, name, key]) => ({ owner, name, key })),
);

const literalText = fc.oneof(
  unicodeText({ minLength: 1, maxLength: 16 }),
  fc.string({
    unit: fc.constantFrom("$", "{", "}", "$${", "${", "a", " ", "/"),
    minLength: 1,
    maxLength: 8,
  }),
);

const rawParts = fc.array(
  fc.oneof(
    literalText.map((text): TemplatePart => ({ kind: "text", text })),
    templateRef.map((ref): TemplatePart => ({ kind: "ref", ref })),
  ),
  { maxLength: 8 },
);

/** Merges adjacent texts; a text right before a reference must not end in `$`. */
function normalise(parts: readonly TemplatePart[]): TemplatePart[] {
  const out: TemplatePart[] = [];
  for (const part of parts) {
    const last = out.at(-1);
    if (part.kind === "text" && last?.kind === "text") last.text += part.text;
    else out.push(part.kind === "text" ? { ...part } : part);
  }
  return out.map((part, i) =>
    part.kind === "text" && part.text.endsWith("$") && out[i + 1]?.kind === "ref"
      ? { kind: "text", text: `${part.text}.` }
      : part,
  );
}

const templateParts = rawParts.map(normalise);

describe("parseTemplate ∘ formatTemplate", () => {
  it("round-trips normalised part lists", () => {
    fc.assert(
      fc.property(templateParts, (parts) => {
        expect(parseTemplate(formatTemplate(parts))).toStrictEqual(parts);
      }),
      { numRuns: 3_000 },
    );
  });

  it("refuses a literal $ right before a reference", () => {
    fc.assert(
      fc.property(literalText, templateRef, (text, ref) => {
        const before = `${text}$`;
        const error = syntaxError(() =>
          formatTemplate([
            { kind: "text", text: before },
            { kind: "ref", ref },
          ]),
        );
        expect(error.position).toBe(before.length - 1);
        expect(error.reason).toMatch(/literal "\$" cannot stand right before a reference/);
      }),
    );
    expect(() => formatTemplate([{ kind: "text", text: "5$" }])).not.toThrow();
    expect(() =>
      formatTemplate([
        { kind: "text", text: "a$" },
        { kind: "ref", ref: { name: "X" } },
      ]),
    ).toThrow(ReferenceSyntaxError);
  });
});

describe("parseTemplate", () => {
  const ref = (r: TemplateRef): TemplatePart => ({ kind: "ref", ref: r });
  const text = (t: string): TemplatePart => ({ kind: "text", text: t });

  it("reads ${NAME}, ${OWNER/NAME} and ${OWNER/NAME/KEY}", () => {
    expect(parseTemplate("Authorization: Bearer ${ml/openai_key}")).toStrictEqual([
      text("Authorization: Bearer "),
      ref({ owner: "ml", name: "openai_key" }),
    ]);
    expect(parseTemplate("${NAME}")).toStrictEqual([ref({ name: "NAME" })]);
    expect(parseTemplate('{"p": "${ml/db/password}"}')).toStrictEqual([
      text('{"p": "'),
      ref({ owner: "ml", name: "db", key: "password" }),
      text('"}'),
    ]);
    expect(parseTemplate("${a}${b/C}")).toStrictEqual([
      ref({ name: "a" }),
      ref({ owner: "b", name: "C" }),
    ]);
    expect(parseTemplate("${ml/db/k ${ey}")).toStrictEqual([
      ref({ owner: "ml", name: "db", key: "k ${ey" }),
    ]);
  });

  it("reads $${ as a literal ${", () => {
    expect(parseTemplate("$${X}")).toStrictEqual([text("${X}")]);
    expect(parseTemplate("a $${b} ${c} d")).toStrictEqual([
      text("a ${b} "),
      ref({ name: "c" }),
      text(" d"),
    ]);
    expect(parseTemplate("$$${X}")).toStrictEqual([text("$${X}")]);
    expect(parseTemplate("$${${X}")).toStrictEqual([text("${"), ref({ name: "X" })]);
  });

  it("leaves other text alone", () => {
    expect(parseTemplate("")).toStrictEqual([]);
    for (const plain of ["$", "$$", "5$ {x} }", "$ {X}", "{vault://env/x}", "$X"]) {
      expect(parseTemplate(plain)).toStrictEqual([text(plain)]);
    }
  });

  it("says where and why a reference is wrong (positions within the reference)", () => {
    const cases: [string, string, number, RegExp][] = [
      ["abc ${x", "${x", 0, /never closed/],
      ["${}", "${}", 2, /\$\{NAME\}, \$\{OWNER\/NAME\} or \$\{OWNER\/NAME\/KEY\}/],
      ["x ${a/b/c/d} y", "${a/b/c/d}", 2, /\$\{OWNER\/NAME\/KEY\}/],
      ["${Bad/x}", "${Bad/x}", 2, /owner "Bad" is not a user or team name/],
      ["${/x}", "${/x}", 2, /owner "" is not/],
      ["${1x}", "${1x}", 2, /"1x" is not a secret name/],
      ["${ml/1x}", "${ml/1x}", 5, /"1x" is not a secret name/],
      ["${ml/}", "${ml/}", 5, /"" is not a secret name/],
      ["${ml/x/}", "${ml/x/}", 7, /a key is 1 to 256 characters/],
      [`\${ml/x/${"k".repeat(257)}}`, `\${ml/x/${"k".repeat(257)}}`, 7, /a key is 1 to 256/],
    ];
    for (const [template, reference, position, reason] of cases) {
      const error = syntaxError(() => parseTemplate(template));
      expect(error.position, template).toBe(position);
      expect(error.reason, template).toMatch(reason);
      const shown = reference.length > 80 ? `${reference.slice(0, 80)}…` : reference;
      expect(error.details["reference"], template).toBe(shown);
      expect(error.errorCode).toBe("INVALID_REQUEST");
    }
    expect(parseTemplate(`\${ml/x/${"k".repeat(256)}}`)).toHaveLength(1);
  });

  it("throws only ReferenceSyntaxError on arbitrary input", () => {
    const input = parserInput(templateParts.map(formatTemplate), ["${", "x ${ml/", "$${"]);
    fc.assert(
      fc.property(input, (t) => {
        expectOnlySyntaxErrors(t, parseTemplate);
        let parts: TemplatePart[];
        try {
          parts = parseTemplate(t);
        } catch {
          return;
        }
        // Whatever parses is normalised and formats back to an equivalent template.
        expect(parseTemplate(formatTemplate(parts))).toStrictEqual(parts);
        for (let i = 1; i < parts.length; i++) {
          expect(parts[i - 1]!.kind === "text" && parts[i]!.kind === "text").toBe(false);
        }
      }),
      { numRuns: FUZZ_RUNS },
    );
  });
});

describe("formatTemplate", () => {
  it("refuses references that parseTemplate could not read back", () => {
    const refs = [
      { name: "db", key: "user" },
      { owner: "ml", name: "db", key: "a/b" },
      { owner: "ml", name: "db", key: "a}" },
    ];
    for (const ref of refs) {
      expect(() => formatTemplate([{ kind: "ref", ref }])).toThrow(ReferenceSyntaxError);
    }
  });

  it("refuses a key that is not well-formed Unicode when parsing", () => {
    expect(() => parseTemplate("${ml/db/k\uD800}")).toThrow(ReferenceSyntaxError);
  });

  it("writes a literal ${ as $${", () => {
    expect(formatTemplate([{ kind: "text", text: "${X}" }])).toBe("$${X}");
    expect(formatTemplate([{ kind: "text", text: "a${b}${" }])).toBe("a$${b}$${");
    expect(
      formatTemplate([
        { kind: "text", text: "${" },
        { kind: "ref", ref: { owner: "ml", name: "x" } },
        { kind: "text", text: "$$" },
      ]),
    ).toBe("$${${ml/x}$$");
  });
});

describe("template references", () => {
  it("format as written", () => {
    expect(formatTemplateRef({ name: "X" })).toBe("${X}");
    expect(formatTemplateRef({ owner: "ml", name: "db", key: "password" })).toBe(
      "${ml/db/password}",
    );
  });

  it("stand for coffer vault references", () => {
    expect(templateToVaultReference({ name: "openai_key" })).toStrictEqual({
      backend: "coffer",
      resource: ["openai_key"],
      options: {},
      cache: {},
    });
    const keyed = templateToVaultReference({ owner: "ml", name: "db", key: "pass word" });
    expect(keyed).toStrictEqual({
      backend: "coffer",
      resource: ["ml", "db"],
      key: "pass word",
      options: {},
      cache: {},
    });
    expect(formatVaultReference(keyed)).toBe("{vault://coffer/ml/db/pass%20word}");
  });
});
