/** Test-only: a webhook receiver on 127.0.0.1 that keeps every request's headers and raw body. */
import { createHmac } from "node:crypto";
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

/**
 * The Standard Webhooks check done by hand with node:crypto (independent of core's), over the
 * bytes received: HMAC-SHA256 of `id.timestamp.body` under the `whsec_` key, among the
 * request's `v1,` signatures.
 */
export function signedWith(
  request: { headers: Readonly<Record<string, unknown>>; body: Buffer },
  secret: string,
): boolean {
  const key = Buffer.from(secret.slice("whsec_".length), "base64");
  const { headers } = request;
  const signed = Buffer.concat([
    Buffer.from(`${String(headers["webhook-id"])}.${String(headers["webhook-timestamp"])}.`),
    request.body,
  ]);
  const expected = `v1,${createHmac("sha256", key).update(signed).digest("base64")}`;
  return String(headers["webhook-signature"]).split(" ").includes(expected);
}
