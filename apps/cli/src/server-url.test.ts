import { describe, expect, it } from "vitest";
import { checkServerUrl } from "./server-url.js";

const FAKE_TOKEN = "cft_fakeFAKEfake0123456789fakeFAKEfake0123456abcdef";

describe("checkServerUrl", () => {
  it("accepts http and https addresses, without a trailing slash", () => {
    expect(checkServerUrl("http://127.0.0.1:7700/", "--url")).toBe("http://127.0.0.1:7700");
    expect(checkServerUrl("https://coffer.example.com", "--url")).toBe(
      "https://coffer.example.com",
    );
  });

  it("shows an address without a scheme with the form to type", () => {
    expect(() => checkServerUrl("127.0.0.1:7700", "--url")).toThrow(
      "--url 127.0.0.1:7700: a server address starts with http:// or https:// (e.g. http://127.0.0.1:7700)",
    );
  });

  it("never quotes a token given by mistake in place of the address", () => {
    for (const given of [FAKE_TOKEN, `http://${FAKE_TOKEN}@host`, `ftp://${FAKE_TOKEN}`]) {
      let message = "";
      try {
        checkServerUrl(given, "COFFER_URL");
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/^COFFER_URL/);
      expect(message).not.toContain(FAKE_TOKEN);
      expect(message).not.toContain("fakeFAKE");
    }
  });
});
