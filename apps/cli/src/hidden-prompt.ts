/**
 * Asks for a secret on the terminal without echoing it: raw mode, so the terminal shows
 * nothing of what is typed or pasted. Enter ends it; Ctrl-C stops; Backspace works.
 */
import { CliError } from "./errors.js";

export function askHidden(question: string): Promise<string> {
  const input = process.stdin;
  return new Promise((resolve, reject) => {
    let answer = "";
    const finish = (error?: Error): void => {
      input.off("data", onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write("\n");
      if (error) reject(error);
      else resolve(answer);
    };
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === "\r" || ch === "\n" || ch === "\u0004") return finish();
        if (ch === "\u0003") return finish(new CliError("interrupted; nothing saved"));
        if (ch === "\u007f" || ch === "\b") answer = answer.slice(0, -1);
        else if (ch >= " ") answer += ch;
      }
    };
    // Echo off before the question shows: nothing typed after it is ever echoed.
    input.setEncoding("utf8");
    input.setRawMode(true);
    process.stderr.write(question);
    input.on("data", onData);
    input.resume();
  });
}
