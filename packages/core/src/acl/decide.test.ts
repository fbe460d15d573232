import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LEVELS, type Level } from "../model/types.js";
import {
  decide,
  heldLevel,
  patternCovers,
  scopeIsWithinHeld,
  type Principal,
  type Resource,
} from "./decide.js";
import { credentials, decisionCases, grants, principals, resources } from "./decide.cases.js";
import { includes, maxLevel, minLevel } from "./levels.js";

describe("decide: the decision table", () => {
  it.each(
    decisionCases.map(
      (c) => [`${c.who} ${c.using} ${c.what} ${c.level} → ${c.expect}`, c] as const,
    ),
  )("%s", (_label, c) => {
    const decision = decide({
      principal: principals[c.who],
      credential: credentials[c.using],
      grants,
      resource: resources[c.what],
      level: c.level,
    });
    expect(decision.allow ? "allow" : decision.reason).toBe(c.expect);
  });

  it("covers every principal, credential and resource of the table", () => {
    const used = (pick: (c: (typeof decisionCases)[number]) => string) =>
      new Set(decisionCases.map(pick));
    expect(used((c) => c.who)).toEqual(new Set(Object.keys(principals)));
    expect(used((c) => c.using)).toEqual(new Set(Object.keys(credentials)));
    expect(used((c) => c.what)).toEqual(new Set(Object.keys(resources)));
  });
});

const principalArb = fc.constantFrom(...(Object.values(principals) as Principal[]));
const resourceArb = fc.constantFrom(...(Object.values(resources) as Resource[]));
const levelArb = fc.constantFrom(...LEVELS);
const scopeArb = fc.record({
  resource: fc.constantFrom(
    "*",
    "secret://default/alice/*",
    "secret://default/alice/own_key",
    "secret://default/ml/*",
    "secret://default/ml/model_key",
  ),
  level: levelArb,
});

describe("decide: laws", () => {
  it("a credential never grants more than its principal holds, and levels include the ones below", () => {
    fc.assert(
      fc.property(
        principalArb,
        resourceArb,
        levelArb,
        fc.array(scopeArb, { maxLength: 4 }),
        (p, r, level, scopes) => {
          const withToken = decide({
            principal: p,
            credential: { scopes },
            grants,
            resource: r,
            level,
          });
          const without = decide({ principal: p, credential: null, grants, resource: r, level });
          if (withToken.allow) expect(without.allow).toBe(true);
          const held = heldLevel(p, r, grants);
          expect(without.allow).toBe(includes(held, level));
          for (const lower of LEVELS.slice(0, LEVELS.indexOf(level))) {
            if (withToken.allow) {
              expect(
                decide({ principal: p, credential: { scopes }, grants, resource: r, level: lower })
                  .allow,
              ).toBe(true);
            }
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("denies by default: no grants, no ownership, no role → nothing", () => {
    const stranger: Principal = {
      kind: "user",
      name: "zed",
      orgRole: "member",
      status: "active",
      teams: [],
    };
    for (const r of [resources.aliceKey, resources.mlModel, resources.opsDb, resources.teamMl]) {
      expect(
        decide({ principal: stranger, credential: null, grants, resource: r, level: "list" }).allow,
      ).toBe(false);
    }
  });

  it("patterns: exact, owner wildcard, and no spill across owners with a common prefix", () => {
    expect(patternCovers("secret://default/al/*", "secret://default/alice/x")).toBe(false);
    expect(patternCovers("secret://default/alice/*", "secret://default/alice/x")).toBe(true);
    expect(patternCovers("secret://default/alice/*", "secret://default/alice/*")).toBe(true);
    expect(patternCovers("secret://default/alice/x", "secret://default/alice/*")).toBe(false);
    expect(patternCovers("secret://default/alice/x", "secret://default/alice/xy")).toBe(false);
    expect(patternCovers("secret://other/alice/*", "secret://default/alice/x")).toBe(false);
    // Malformed wildcards cover nothing, even if they reached storage unvalidated.
    expect(patternCovers("secret://default/*", "secret://default/alice/x")).toBe(false);
    expect(patternCovers("secret://*", "secret://default/alice/x")).toBe(false);
    expect(patternCovers("*", "secret://default/alice/x")).toBe(false);
  });

  it("levels: min, max and includes", () => {
    const levels: (Level | null)[] = [null, ...LEVELS];
    for (const a of levels)
      for (const b of levels) {
        expect(maxLevel(a, b)).toBe(levels[Math.max(levels.indexOf(a), levels.indexOf(b))]);
        expect(minLevel(a, b)).toBe(
          a === null || b === null ? null : levels[Math.min(levels.indexOf(a), levels.indexOf(b))],
        );
      }
    expect(includes(null, "list")).toBe(false);
    expect(includes("write", "read")).toBe(true);
    expect(includes("read", "write")).toBe(false);
  });
});

describe("scopeIsWithinHeld: a token never gets more than its owner holds when made", () => {
  it("accepts what the owner holds and refuses more", () => {
    const alice = principals.alice;
    expect(
      scopeIsWithinHeld(
        alice,
        { resource: "secret://default/alice/*", level: "manage" },
        resources.aliceAll,
        grants,
      ),
    ).toBe(true);
    expect(
      scopeIsWithinHeld(
        principals.bob,
        { resource: "secret://default/ml/*", level: "read" },
        resources.mlAll,
        grants,
      ),
    ).toBe(true);
    expect(
      scopeIsWithinHeld(
        principals.bob,
        { resource: "secret://default/ml/*", level: "write" },
        resources.mlAll,
        grants,
      ),
    ).toBe(false);
    expect(
      scopeIsWithinHeld(
        principals.frank,
        { resource: "secret://default/alice/shared_key", level: "write" },
        resources.aliceShared,
        grants,
      ),
    ).toBe(false);
    expect(scopeIsWithinHeld(alice, { resource: "*", level: "manage" }, null, grants)).toBe(true);
    expect(
      scopeIsWithinHeld(alice, { resource: "secret://default/ml/*", level: "list" }, null, grants),
    ).toBe(false);
  });
});
