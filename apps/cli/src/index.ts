import { createCli } from "./context.js";
import { readEnv } from "./env.js";
import { main } from "./main.js";
import { exitQuietlyWhenOutputCloses, processIo } from "./output.js";
import { askHidden } from "./hidden-prompt.js";
import { readStdin } from "./value-source.js";

// `-` reads standard input; on a terminal it asks instead, without echo (one line).
const stdin = processIo.stdinIsTty ? () => askHidden("Value (not shown): ") : readStdin;

exitQuietlyWhenOutputCloses();
process.exitCode = await main(createCli(readEnv(), processIo, stdin), process.argv.slice(2));
