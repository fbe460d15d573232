import { createCli } from "./context.js";
import { readEnv } from "./env.js";
import { main } from "./main.js";
import { exitQuietlyWhenOutputCloses, processIo } from "./output.js";
import { readStdin } from "./value-source.js";

exitQuietlyWhenOutputCloses();
process.exitCode = await main(createCli(readEnv(), processIo, readStdin), process.argv.slice(2));
