import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PRINCIPAL_NAME_RE, SECRET_NAME_RE } from "../model/limits.js";
import { parseTemplate } from "../references/template.js";
import {
  FUZZ_RUNS,
  principalName,
  secretName,
  syntaxError,
} from "../references/test-arbitraries.js";
import { HOOK_VARIABLES, parseHookTemplate } from "./hook-template.js";

describe("parseHookTemplate", () => {
  it("reads event variables among references", () => {
    expect(
      parseHookTemplate("${event.type} on ${secret.uri}: ${ml/token} $${event.id}"),
    ).toStrictEqual([
      { kind: "var", name: "event.type" },
      { kind: "text", text: " on " },
      { kind: "var", name: "secret.uri" },
      { kind: "text", text: ": " },
      { kind: "ref", ref: { owner: "ml", name: "token" } },
      { kind: "text", text: " ${event.id}" },
    ]);
    for (const name of HOOK_VARIABLES) {
      expect(parseHookTemplate(`\${${name}}`)).toStrictEqual([{ kind: "var", name }]);
    }
  });

  it("refuses an unknown variable, with the closest known one", () => {
    const cases: [string, RegExp][] = [
      ["${event.typ}", /"event.typ" is not an event variable.*did you mean \$\{event.type\}\?/],
      ["${token.expires_at}", /did you mean \$\{token.expiresAt\}/],
      ["${a.b.c}", /"a.b.c" is not an event variable/],
    ];
    for (const [template, reason] of cases) {
      const error = syntaxError(() => parseHookTemplate(template));
      expect(error.reason, template).toMatch(reason);
      expect(error.errorCode).toBe("INVALID_REQUEST");
    }
  });

  it("reads references and refuses bad ones exactly as parseTemplate does", () => {
    const same = ["plain", "${NAME}", "a ${ml/db/pass word} b", "$$${X}", "${a}${b/C}", "5$ {x}"];
    for (const template of same) {
      expect(parseHookTemplate(template), template).toStrictEqual(parseTemplate(template));
    }
    for (const bad of ["${x", "${}", "${Bad/x}", "${ml/1x}", "${a/b/c/d}", "x ${.}", "${event.}"]) {
      const ours = syntaxError(() => parseHookTemplate(bad));
      const theirs = syntaxError(() => parseTemplate(bad.slice(bad.indexOf("${"))));
      expect(ours.reason, bad).toBe(theirs.reason);
      expect(ours.position, bad).toBe(theirs.position);
    }
  });

  it("no owner or secret name can take a variable's place (neither grammar allows a dot)", () => {
    for (const name of HOOK_VARIABLES) {
      expect(SECRET_NAME_RE.test(name)).toBe(false);
      expect(PRINCIPAL_NAME_RE.test(name)).toBe(false);
      // With a "/" it is a reference whose KEY may hold a dot, never a variable.
      expect(parseHookTemplate(`\${ml/db/${name}}`)).toStrictEqual([
        { kind: "ref", ref: { owner: "ml", name: "db", key: name } },
      ]);
      expect(() => parseTemplate(`\${${name}}`)).toThrow();
    }
    fc.assert(
      fc.property(principalName, secretName, (owner, name) => {
        for (const template of [`\${${name}}`, `\${${owner}/${name}}`]) {
          expect(parseHookTemplate(template)).toStrictEqual(parseTemplate(template));
        }
      }),
      { numRuns: FUZZ_RUNS / 10 },
    );
  });
});
