/** The masking filter: every split of the output, overlapping values, nothing held too long. */
import { describe, expect, it } from "vitest";
import { maskingStream, maskPatterns } from "./run-mask.js";

async function through(values: string[], chunks: (string | Buffer)[]): Promise<string> {
  const stream = maskingStream(maskPatterns(values));
  const out: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => out.push(chunk));
  for (const chunk of chunks) stream.write(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  stream.end();
  await new Promise((resolve) => stream.on("end", resolve));
  return Buffer.concat(out).toString("utf8");
}

describe("maskingStream", () => {
  const text = "a fake-secret-one, then fake-secret-one again; fake-secret-on ends";
  it.each(Array.from({ length: text.length + 1 }, (_, i) => i))(
    "a value split at byte %i is masked",
    async (cut) => {
      expect(await through(["fake-secret-one"], [text.slice(0, cut), text.slice(cut)])).toBe(
        "a ***, then *** again; fake-secret-on ends",
      );
    },
  );

  it("masks byte by byte, multi-byte characters cut in the middle included", async () => {
    const bytes = Buffer.from("x=fake-é-välue;");
    const chunks = [...bytes].map((b) => Buffer.from([b]));
    expect(await through(["fake-é-välue"], chunks)).toBe("x=***;");
  });

  it("prefers the longer of two values starting at one place, and masks each line of a multi-line value", async () => {
    expect(await through(["fake-one", "fake-one-longer"], ["fake-one-longer fake-one"])).toBe(
      "*** ***",
    );
    expect(await through(["fake-line-1\nfake-line-2"], ["> fake-line-2 <"])).toBe("> *** <");
  });

  it("passes on at once what cannot be the start of a value, and leaves short values alone", async () => {
    const stream = maskingStream(maskPatterns(["fake-secret", "ab"]));
    const seen: string[] = [];
    stream.on("data", (chunk: Buffer) => seen.push(chunk.toString()));
    stream.write(Buffer.from("prompt ab: "));
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen.join("")).toBe("prompt ab: ");
    stream.write(Buffer.from("xx fake-sec"));
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen.join("")).toBe("prompt ab: xx ");
    stream.end();
  });
});
