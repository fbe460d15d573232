import { describe, expect, it } from "vitest";
import { validationInCliWords } from "./validation-words.js";

const issue = (path: string, message: string) => ({ issues: [{ path, message }] });

describe("validationInCliWords", () => {
  it.each([
    [issue("/id", 'must match pattern "^tok_[0-9A-Za-z]{16}$"'), /^ID must be a token id: tok_/],
    [issue("/expiresInSeconds", "must be <= 316224000"), /^--expires must be at most 3660 days$/],
    [issue("/expiresInSeconds", "must be >= 60"), /^--expires must be at least 1 minute$/],
    [
      issue("/scopes/0/resource", "must NOT have more than 300 characters"),
      /^--perm takes at most 300 characters$/,
    ],
    [
      issue("/owner", 'must match pattern "^[a-z][a-z0-9-]{0,38}$"'),
      /^--owner must be a name of lowercase/,
    ],
    [
      issue("/every", 'must match pattern "^(?:0|[1-9][0-9]{0,5})[hd]$"'),
      /^--every must be hours or days, such as 12h or 90d$/,
    ],
    [issue("/name", 'must match pattern "^something-new$"'), /^NAME must be in the accepted form$/],
  ])("%j", (details, expected) => {
    const words = validationInCliWords(details);
    expect(words).toMatch(expected);
    expect(words).not.toMatch(/pattern|\^|Seconds|\/scopes/);
  });

  it("says nothing without issues (the server's own message is used)", () => {
    expect(validationInCliWords({})).toBeUndefined();
    expect(validationInCliWords({ issues: [] })).toBeUndefined();
  });
});
