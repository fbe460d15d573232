import { describe, expect, it } from "vitest";
import { issuerUrlProblem } from "./issuer-url.js";

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
