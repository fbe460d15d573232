import { describe, expect, it } from "vitest";
import { issuerUrlProblem, jwksUriProblem } from "./issuer-url.js";

describe("issuerUrlProblem", () => {
  it("accepts https and loopback http", () => {
    expect(issuerUrlProblem("https://token.actions.githubusercontent.com")).toBeUndefined();
    expect(issuerUrlProblem("http://127.0.0.1:8080")).toBeUndefined();
    expect(issuerUrlProblem("http://localhost:8080/issuer")).toBeUndefined();
    expect(issuerUrlProblem("http://[::1]:9000")).toBeUndefined();
  });

  it("refuses anything else, saying why", () => {
    expect(issuerUrlProblem("http://issuer.example.com")).toMatch(/must be https/);
    expect(issuerUrlProblem("ftp://127.0.0.1")).toMatch(/must be https/);
    expect(issuerUrlProblem("not a url")).toBe('"not a url" is not a URL');
    expect(issuerUrlProblem("https://u:p@issuer.example.com")).toMatch(/credentials/);
    expect(issuerUrlProblem("https://issuer.example.com/?a=1")).toMatch(/query/);
  });
});

describe("jwksUriProblem", () => {
  it("keeps an https issuer's keys on https; a loopback issuer may serve them over http", () => {
    expect(jwksUriProblem("https://a.example", "https://keys.example/jwks")).toBeUndefined();
    expect(jwksUriProblem("http://127.0.0.1:9", "http://127.0.0.1:9/jwks")).toBeUndefined();
    expect(jwksUriProblem("https://a.example", "http://127.0.0.1:9/jwks")).toBe(
      "an https issuer's keys must come over https",
    );
    expect(jwksUriProblem("https://a.example", "http://keys.example/jwks")).toMatch(
      /must be https/,
    );
  });
});
