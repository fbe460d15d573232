import { describe, expect, it } from "vitest";
import { DEFAULT_BACKENDS, parseVaultReference } from "./vault-reference.js";
import { revealItemOf } from "./reveal-item.js";

const parse = (text: string) =>
  parseVaultReference(text, { backends: { coffer: DEFAULT_BACKENDS["coffer"]! } });

describe("revealItemOf", () => {
  it("asks for what each reference names", () => {
    expect(revealItemOf(parse("{vault://coffer/openai_key}"))).toEqual({ secret: "openai_key" });
    expect(revealItemOf(parse("{vault://coffer/ml/openai_key#3}"))).toEqual({
      secret: "ml/openai_key",
      version: 3,
    });
    expect(revealItemOf(parse("{vault://coffer/ml/db/user?stage=previous}"))).toEqual({
      secret: "ml/db",
      stage: "previous",
      key: "user",
    });
    expect(revealItemOf(parse("{vault://coffer/ml/db?stage=current}"))).toEqual({
      secret: "ml/db",
    });
  });
});
