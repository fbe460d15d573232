/** The baseline of the HTTP benchmark: an Express 5 hello world, alone in its own process. */
import express from "express";

const port = Number(process.argv[2] ?? "0");
const app = express();
app.get("/", (_req, res) => {
  res.send("Hello World!");
});
const server = app.listen(port, "127.0.0.1", () => {
  process.stdout.write("listening\n");
});
process.once("SIGTERM", () => server.close(() => process.exit(0)));
