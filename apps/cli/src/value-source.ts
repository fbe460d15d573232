/**
 * Where a value comes from: `VALUE` as typed, `@FILE` (the file's exact contents), or `-`
 * (standard input, exactly as given). Errors name the file, never the contents.
 */
import { readFile } from "node:fs/promises";
import { CliError } from "./errors.js";

export async function readValue(source: string, stdin: () => Promise<string>): Promise<string> {
  if (source === "-") return stdin();
  if (source.startsWith("@") && source.length > 1) {
    const file = source.slice(1);
    try {
      return await readFile(file, "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
      throw new CliError(`cannot read ${file}: ${code === "ENOENT" ? "no such file" : code}`);
    }
  }
  return source;
}

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
