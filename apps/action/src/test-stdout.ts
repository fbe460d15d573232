/** What a test's code writes to stdout (workflow commands, info lines), captured per test. */
import { afterEach, beforeEach, vi } from "vitest";

/** Registers the capture for every test of the file; the array is refilled for each test. */
export function captureStdout(): string[] {
  const written: string[] = [];
  beforeEach(() => {
    written.length = 0;
    vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });
  return written;
}
