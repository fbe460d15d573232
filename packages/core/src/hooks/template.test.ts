import { describe, expect, it } from "vitest";
import { expectCofferError, expectNotLeaking, thrownBy } from "../crypto/test-errors.js";
import { formatTemplateRef, type TemplateRef } from "../references/template.js";
import {
  compileHookTemplate,
  renderHookRequest,
  type HookRenderContext,
  type HookTemplateInput,
} from "./template.js";

/** Obviously fake values, by template reference. */
const FAKE: Record<string, string> = {
  "${TOKEN}": "fake-token-0001",
  "${ml/openai_key}": "sk-fake-openai-0002",
  "${ml/db/password}": "fake-pw-0003",
};

function context(
  values: Record<string, string> = {},
  vars: HookRenderContext["vars"] = {},
): HookRenderContext & { asked: string[] } {
  const asked: string[] = [];
  const all = { ...FAKE, ...values };
  return {
    asked,
    vars,
    secret: (ref: TemplateRef) => {
      const written = formatTemplateRef(ref);
      asked.push(written);
      const value = all[written];
      if (value === undefined) throw new Error(`test resolver: no value for ${written}`);
      return value;
    },
  };
}

const render = (input: HookTemplateInput, ctx = context()) =>
  renderHookRequest(compileHookTemplate(input), ctx);

const URL_BASE = "https://hooks.example.test";

describe("compileHookTemplate", () => {
  it("lists the secrets and variables its templates name, once each", () => {
    const compiled = compileHookTemplate({
      url: `${URL_BASE}/v1/\${event.type}`,
      headers: { Authorization: "Bearer ${ml/openai_key}", "X-Event": "${event.id}" },
      body: '{"token": "${TOKEN}", "${secret.uri}": ["${ml/db/password}", "${event.type}"]}',
    });
    expect(compiled.secrets.map(formatTemplateRef)).toStrictEqual([
      "${ml/openai_key}",
      "${TOKEN}",
      "${ml/db/password}",
    ]);
    expect(compiled.variables).toStrictEqual(["event.type", "event.id", "secret.uri"]);
  });

  // [what, input, field, message]
  const refusals: [string, HookTemplateInput, string, RegExp][] = [
    [
      "templated host",
      { url: "https://${HOST}/x" },
      "url",
      /scheme, host and port are never templated/,
    ],
    ["templated host part", { url: "https://api.${ENV}.example.test/x" }, "url", /never templated/],
    ["templated port", { url: "https://hooks.example.test:${PORT}/x" }, "url", /never templated/],
    ["templated scheme", { url: "${SCHEME}://hooks.example.test/x" }, "url", /never templated/],
    [
      "template right after the host",
      { url: "https://h.example.test${ml/path}" },
      "url",
      /never templated/,
    ],
    [
      "a variable in the host",
      { url: "https://${event.type}.example.test/" },
      "url",
      /never templated/,
    ],
    ["literal $ in the host", { url: "https://a$${b}.example.test/" }, "url", /never templated/],
    ["other scheme", { url: "ftp://h.example.test/x" }, "url", /http:\/\/ or https:\/\//],
    [
      "credentials in the URL",
      { url: "https://u:p@h.example.test/" },
      "url",
      /must not hold credentials/,
    ],
    ["a fragment", { url: `${URL_BASE}/x#y` }, "url", /fragment/],
    ["whitespace", { url: `${URL_BASE}/a b` }, "url", /whitespace/],
    ["a dot segment", { url: `${URL_BASE}/a/../b` }, "url", /\. or \.\. segments/],
    ["too long a URL", { url: `${URL_BASE}/${"a".repeat(2048)}` }, "url", /longer than 2048/],
    ["a bad reference in the path", { url: `${URL_BASE}/\${Bad/x}` }, "url", /owner "Bad"/],
    ["a secret in the path", { url: `${URL_BASE}/\${ml/team}/x` }, "url", /never goes in a URL/],
    ["a secret in the query", { url: `${URL_BASE}/x?k=\${TOKEN}` }, "url", /never goes in a URL/],
    [
      "a templated header name",
      { url: URL_BASE, headers: { "X-${NAME}": "v" } },
      "headers",
      /header names are never templated/,
    ],
    [
      "a bad header name",
      { url: URL_BASE, headers: { "X Y": "v" } },
      "headers",
      /not an HTTP header name/,
    ],
    [
      "a reserved header",
      { url: URL_BASE, headers: { "Webhook-Signature": "v" } },
      "headers.Webhook-Signature",
      /set by Coffer/,
    ],
    [
      "a header twice",
      { url: URL_BASE, headers: { "x-a": "1", "X-A": "2" } },
      "headers.X-A",
      /given twice/,
    ],
    [
      "CR LF in a header",
      { url: URL_BASE, headers: { "X-A": "a\r\nX-B: b" } },
      "headers.X-A",
      /a character no header may hold/,
    ],
    [
      "too many headers",
      {
        url: URL_BASE,
        headers: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`X-${i}`, "v"])),
      },
      "headers",
      /at most 32/,
    ],
    [
      "a long header",
      { url: URL_BASE, headers: { "X-A": "v".repeat(8193) } },
      "headers.X-A",
      /8 KiB/,
    ],
    [
      "an unknown variable in a header",
      { url: URL_BASE, headers: { "X-A": "${event.kind}" } },
      "headers.X-A",
      /not an event variable/,
    ],
    [
      "a template as a JSON value",
      { url: URL_BASE, body: '{"a": ${TOKEN}}' },
      "body",
      /only inside a JSON string/,
    ],
    [
      "a template as a JSON key",
      { url: URL_BASE, body: "{${TOKEN}: 1}" },
      "body",
      /only inside a JSON string/,
    ],
    [
      "a template making a number",
      { url: URL_BASE, body: '{"n": 1${event.id}}' },
      "body",
      /only inside a JSON string/,
    ],
    [
      "a literal ${ outside strings",
      { url: URL_BASE, body: '{"a": $${x}}' },
      "body",
      /only inside a JSON string/,
    ],
    [
      "a template ending after its string",
      { url: URL_BASE, body: '{"a": "${ml/db/k"}"}' },
      "body",
      /inside its JSON string/,
    ],
    [
      "a template after a lone backslash",
      { url: URL_BASE, body: '{"a": "\\${TOKEN}"}' },
      "body",
      /not valid JSON/,
    ],
    ["not JSON", { url: URL_BASE, body: '{"a": "${TOKEN}",}' }, "body", /not valid JSON/],
    [
      "a bad reference in the body",
      { url: URL_BASE, body: '{"a": "${1x}"}' },
      "body",
      /"1x" is not a secret name/,
    ],
    [
      "too long a body",
      { url: URL_BASE, body: `"${"a".repeat(64 * 1024)}"` },
      "body",
      /longer than 64 KiB/,
    ],
  ];
  it.each(refusals)(
    "refuses %s (INVALID_REQUEST naming the field)",
    (_what, input, field, message) => {
      const error = expectCofferError(
        thrownBy(() => compileHookTemplate(input)),
        "INVALID_REQUEST",
      );
      expect(error.details["field"]).toBe(field);
      expect(error.message).toMatch(message);
    },
  );

  it.each([
    ["a plain URL and no body", { url: `${URL_BASE}:8443/hook` }],
    [
      "templates in path and query",
      { url: `${URL_BASE}/t/\${hook.name}/x?e=\${event.type}&s=\${secret.uri}` },
    ],
    ["a port, no path", { url: "http://127.0.0.1:9000" }],
    [
      "a template in a JSON key and a literal ${",
      { url: URL_BASE, body: '{"${event.type}": "$${not a template}"}' },
    ],
    [
      "escaped quotes around templates",
      { url: URL_BASE, body: '["\\"${TOKEN}\\"", "\\\\${TOKEN}"]' },
    ],
    ["a header with a tab and Latin-1", { url: URL_BASE, headers: { "X-A": "a\tb ${TOKEN} é" } }],
  ])("accepts %s", (_what, input: HookTemplateInput) => {
    expect(() => compileHookTemplate(input)).not.toThrow();
  });
});

describe("renderHookRequest", () => {
  // [what, value of ${TOKEN}] rendered into a JSON string: JSON.parse must give the value back.
  const awkward: [string, string][] = [
    ["a quote", 'fake"value'],
    ["a backslash", "fake\\value\\"],
    ["newlines and controls", "fake\nvalue\r\n\t\u0000\u001f\u2028end"],
    ["a template", "${ml/openai_key} and ${event.type} and $${x}"],
    ["a JSON breakout", '","admin":true,"x":"'],
    ["non-ASCII", "fäke-välue-ü-😀"],
  ];
  it.each(awkward)("writes a value holding %s as JSON string data, once", (_what, value) => {
    const ctx = context({ "${TOKEN}": value }, { "event.type": "secret.created" });
    const body = '{"t": "${TOKEN}", "${TOKEN}": "x-${TOKEN}-y", "e": "${event.type}"}';
    const out = render({ url: URL_BASE, body }, ctx);
    expect(JSON.parse(out.body!)).toStrictEqual({
      t: value,
      [value]: `x-${value}-y`,
      e: "secret.created",
    });
    // The value's own `${ml/openai_key}` was never resolved: rendering is one pass.
    expect(ctx.asked).toStrictEqual(["${TOKEN}"]);
  });

  it("mixes event variables and secret references in every place", () => {
    const ctx = context(
      {},
      {
        "event.type": "secret.version.created",
        "event.id": "evt_fake01",
        "hook.name": "notify",
        "secret.uri": "secret://o/ml team/α",
      },
    );
    const out = render(
      {
        url: `${URL_BASE}/t/\${secret.uri}/e?type=\${event.type}&missing=\${token.name}`,
        headers: {
          Authorization: "Bearer ${ml/openai_key}",
          "X-Event": "${event.id} by ${hook.name}",
        },
        body: '{"key": "${ml/db/password}", "k": "${TOKEN}", "id": "${event.id}", "n": 1, "lit": "$${TOKEN}"}',
      },
      ctx,
    );
    expect(out.url).toBe(
      `${URL_BASE}/t/secret%3A%2F%2Fo%2Fml%20team%2F%CE%B1/e?type=secret.version.created&missing=`,
    );
    expect(out.headers).toStrictEqual({
      Authorization: "Bearer sk-fake-openai-0002",
      "X-Event": "evt_fake01 by notify",
    });
    expect(JSON.parse(out.body!)).toStrictEqual({
      key: "fake-pw-0003",
      k: "fake-token-0001",
      id: "evt_fake01",
      n: 1,
      lit: "${TOKEN}",
    });
    expect(out.renderedValues.sort()).toStrictEqual(
      ["fake-token-0001", "sk-fake-openai-0002", "fake-pw-0003"].sort(),
    );
    expect(out.secretsUsed.map((use) => use.ref)).toStrictEqual([
      "${ml/openai_key}",
      "${ml/db/password}",
      "${TOKEN}",
    ]);
  });

  it("passes on the versions the resolver gives, and asks once per secret", () => {
    const compiled = compileHookTemplate({
      url: URL_BASE,
      headers: { A: "${TOKEN}", B: "${TOKEN}" },
      body: '["${TOKEN}"]',
    });
    let calls = 0;
    const out = renderHookRequest(compiled, {
      vars: {},
      secret: () => {
        calls += 1;
        return { value: "fake-v7", uri: "secret://default/alice/TOKEN", version: 7 };
      },
    });
    expect(calls).toBe(1);
    expect(out.secretsUsed).toStrictEqual([
      { ref: "${TOKEN}", uri: "secret://default/alice/TOKEN", version: 7 },
    ]);
    expect(out.renderedValues).toStrictEqual(["fake-v7"]);
  });

  // [what, value of ${TOKEN}] that must never reach a header.
  const headerBreakers: [string, string][] = [
    ["CR LF", "fake\r\nX-Injected: yes"],
    ["a lone LF", "fake\nvalue"],
    ["a lone CR", "fake\rvalue"],
    ["NUL", "fake\u0000value"],
    ["DEL", "fake\u007fvalue"],
    ["a character past U+00FF", "fake-€-value"],
  ];
  it.each(headerBreakers)(
    "refuses a header that would hold %s, naming the header, not the value",
    (_what, value) => {
      const ctx = context({ "${TOKEN}": value });
      const compiled = compileHookTemplate({
        url: URL_BASE,
        headers: { "X-Safe": "fine", Authorization: "Bearer ${TOKEN}" },
      });
      const error = expectCofferError(
        thrownBy(() => renderHookRequest(compiled, ctx)),
        "UNPROCESSABLE_ENTITY",
      );
      expect(error.details["header"]).toBe("Authorization");
      expect(error.message).toContain('header "Authorization"');
      expect(error.message).toContain("${TOKEN}");
      expectNotLeaking(error, value);
    },
  );

  it("refuses a header made too long by its values, and a path value that would be a dot segment", () => {
    const long = context({ "${TOKEN}": "f".repeat(8 * 1024) });
    const headerError = thrownBy(() =>
      render({ url: URL_BASE, headers: { A: "x${TOKEN}" } }, long),
    );
    expectCofferError(headerError, "UNPROCESSABLE_ENTITY");
    for (const dots of [".", ".."]) {
      const ctx = context({}, { "token.name": dots });
      const error = thrownBy(() => render({ url: `${URL_BASE}/api/\${token.name}/x` }, ctx));
      expect(expectCofferError(error, "UNPROCESSABLE_ENTITY").details["field"]).toBe("url");
      // In the query a dot is only data.
      expect(render({ url: `${URL_BASE}/api?q=\${token.name}` }, ctx).url).toBe(
        `${URL_BASE}/api?q=${dots}`,
      );
    }
  });

  it("keeps the host whatever a path or query value holds", () => {
    for (const value of [
      "@evil.example.test/",
      "//evil.example.test",
      "?x=1#frag",
      "a/../../b",
      "%2e%2e",
    ]) {
      const ctx = context({}, { "token.name": value });
      for (const url of [`${URL_BASE}/p/\${token.name}`, `${URL_BASE}/p?v=\${token.name}&w=1`]) {
        const out = new URL(render({ url }, ctx).url);
        expect(out.origin, `${url} ← ${value}`).toBe(URL_BASE);
        expect(out.hash).toBe("");
      }
    }
    const query = new URL(
      render({ url: `${URL_BASE}/p?v=\${token.name}&w=1` }, context({}, { "token.name": "a&w=2" }))
        .url,
    );
    expect(query.searchParams.getAll("v")).toStrictEqual(["a&w=2"]);
    expect(query.searchParams.getAll("w")).toStrictEqual(["1"]);
  });

  it("renders an event variable the event lacks as an empty string, and no body as null", () => {
    const out = render({ url: URL_BASE, headers: { "X-Token": "[${token.name}]" } });
    expect(out.headers["X-Token"]).toBe("[]");
    expect(out.body).toBeNull();
    expect(out.renderedValues).toStrictEqual([]);
  });
});
