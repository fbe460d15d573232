/** Test-only: a webhook receiver on 127.0.0.1 that keeps every request's headers and raw body. */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import { listen, type Listening } from "@coffer/test-kit";

export interface Received {
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface Receiver extends Listening {
  received: Received[];
  port: number;
}

/** Answers each request with `answer` (default: 204) once its body has arrived. */
export async function startReceiver(
  answer: (res: ServerResponse, request: Received) => void = (res) => res.writeHead(204).end(),
): Promise<Receiver> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const request = { url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks) };
      received.push(request);
      answer(res, request);
    });
  });
  const listening = await listen(server);
  return { ...listening, received, port: Number(new URL(listening.url).port) };
}
