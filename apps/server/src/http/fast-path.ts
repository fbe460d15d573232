/**
 * A lighter way into the same procedures for the usual calls: a query by GET or a mutation by
 * POST (JSON), alone or in a batch, as packages/client sends them. It skips what tRPC's Node
 * adapter builds per request (a Fetch `Request`, web streams, abort signals) and calls each
 * procedure through `callTRPCProcedure`, so its middlewares (authentication, input parsing,
 * metrics, error mapping) run exactly as they do through the adapter. Answers are written in
 * tRPC's wire format, the same bytes and statuses as the adapter's (fast-path.test.ts compares
 * them call by call).
 *
 * Everything else goes on to the adapter: unknown procedures, a method that does not fit the
 * procedure, subscriptions, streamed (JSONL) batches, other content types, HEAD, odd paths.
 */
import {
  callTRPCProcedure,
  getTRPCErrorFromUnknown,
  getTRPCErrorShape,
  TRPCError,
  type AnyTRPCProcedure,
} from "@trpc/server";
import type { NextFunction, Request, Response } from "express";
import { appRouter } from "../routers/_app.js";
import type { Context } from "../context.js";

type CallType = "query" | "mutation";

const config = appRouter._def._config;
/** By full name ("secret.reveal"): the flat map tRPC itself looks calls up in. */
const procedures = appRouter._def.procedures as unknown as Record<
  string,
  AnyTRPCProcedure | undefined
>;

export interface FastPathHooks {
  /** The context, built as for the adapter (one authentication per HTTP request). */
  context(req: Request, res: Response): Context;
  /** The adapter's `onError`: metrics and the log line of an unexpected failure. */
  onError(error: TRPCError, path: string): void;
}

/** The procedure names of a call, or undefined when the adapter should take it. */
function callPaths(req: Request, batch: boolean, type: CallType): string[] | undefined {
  const raw = req.path.slice(1); // mounted at /trpc: "/user.whoami"
  if (raw === "" || raw.includes("/")) return undefined;
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return undefined;
  }
  const paths = batch ? decoded.split(",") : [decoded];
  const fits = paths.every(
    (p) => Object.hasOwn(procedures, p) && procedures[p]!._def.type === type,
  );
  return fits ? paths : undefined;
}

/** What tRPC's JSON handler would see as the call's type, or undefined for anything else. */
function callType(req: Request): CallType | undefined {
  if (req.headers["trpc-accept"] !== undefined) return undefined;
  const accept = req.headers.accept;
  if (accept?.includes("text/event-stream") || accept?.includes("application/jsonl")) {
    return undefined;
  }
  if (req.method === "GET") return "query";
  if (req.method !== "POST" || typeof req.body !== "string") return undefined;
  const contentType = req.headers["content-type"]?.toLowerCase().split(";", 1)[0]?.trim();
  return contentType === "application/json" ? "mutation" : undefined;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * The calls' raw inputs, read once and lazily (a procedure reads its input after
 * authentication), failing as tRPC's JSON handler fails: a BAD_REQUEST for each call.
 */
function inputReader(
  text: string | null,
  batch: boolean,
  calls: number,
): { read: () => Promise<Record<number, unknown>>; result: () => Record<number, unknown> } {
  let inputs: Record<number, unknown> | undefined;
  const read = (): Record<number, unknown> => {
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch (cause) {
      throw new TRPCError({
        code: "BAD_REQUEST",
        message: cause instanceof Error ? cause.message : "Invalid input",
        cause,
      });
    }
    const byIndex: Record<number, unknown> = {};
    if (parsed === undefined) return byIndex;
    const deserialize = (value: unknown): unknown => config.transformer.input.deserialize(value);
    if (!batch) {
      byIndex[0] = deserialize(parsed);
      return byIndex;
    }
    if (!isObject(parsed)) {
      throw new TRPCError({
        code: "BAD_REQUEST",
        message: '"input" needs to be an object when doing a batch call',
      });
    }
    for (let index = 0; index < calls; index++) {
      const value = parsed[index];
      if (value !== undefined) byIndex[index] = deserialize(value);
    }
    return byIndex;
  };
  return {
    read: () => Promise.resolve((inputs ??= read())),
    /** The inputs if a procedure read them already (for the error shape, as tRPC gives it). */
    result: () => inputs ?? {},
  };
}

/** A result tRPC streams only in a JSONL batch (the adapter refuses it otherwise). */
function isDataStream(value: unknown): boolean {
  if (!isObject(value)) return false;
  const streamy = (v: unknown): boolean =>
    v instanceof Promise || (typeof v === "object" && v !== null && Symbol.asyncIterator in v);
  return streamy(value) || Object.values(value).some(streamy);
}

/** trpc.ts's error formatter always gives the status the adapter answers with. */
interface ErrorShape {
  data: { httpStatus: number };
}
type Answer = { error: ErrorShape } | { result: { data: unknown } };

/** The HTTP status of the answers: the one they share, else 207 (tRPC's rule). */
function statusOf(answers: Answer[]): number {
  const statuses = new Set(answers.map((a) => ("error" in a ? a.error.data.httpStatus : 200)));
  return statuses.size === 1 ? statuses.values().next().value! : 207;
}

function serialize(answer: Answer): unknown {
  const out = (value: unknown): unknown => config.transformer.output.serialize(value) as unknown;
  return "error" in answer
    ? { error: out(answer.error) }
    : { result: { data: out(answer.result.data) } };
}

/** Express middleware, mounted at /trpc before the adapter. */
export function fastPath(hooks: FastPathHooks) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const type = callType(req);
    const at = req.originalUrl.indexOf("?");
    const query = new URLSearchParams(at === -1 ? "" : req.originalUrl.slice(at + 1));
    const batch = query.get("batch") === "1";
    const paths = type && callPaths(req, batch, type);
    if (type === undefined || paths === undefined) return next();
    const ctx = hooks.context(req, res);
    const text = type === "query" ? query.get("input") : (req.body as string);
    const inputs = inputReader(text, batch, paths.length);
    const answer = async (path: string, index: number): Promise<Answer> => {
      const getRawInput = async (): Promise<unknown> => (await inputs.read())[index];
      try {
        const data: unknown = await callTRPCProcedure({
          router: appRouter,
          path,
          getRawInput,
          ctx,
          type,
          signal: undefined,
          batchIndex: index,
        });
        if (!isDataStream(data)) return { result: { data } };
        throw new TRPCError({
          code: "UNSUPPORTED_MEDIA_TYPE",
          message: "Cannot use stream-like response in non-streaming request",
        });
      } catch (cause) {
        const error = getTRPCErrorFromUnknown(cause);
        hooks.onError(error, path);
        const input = inputs.result()[index];
        const shape = getTRPCErrorShape({ config, ctx, error, input, path, type }) as ErrorShape;
        return { error: shape };
      }
    };
    Promise.all(paths.map(answer))
      .then((answers) => {
        const body = batch ? answers.map(serialize) : serialize(answers[0]!);
        res.statusCode = statusOf(answers);
        res.setHeader("vary", "trpc-accept, accept");
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify(body));
      })
      .catch(next);
  };
}
