/**
 * A rotation killed (SIGKILL) at each of its steps (issue 11): the next start finishes or
 * undoes it, reads every secret, and leaves one key file; a rotation after that works.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { rootKeyId } from "@coffer/core";
import { describe, expect, it } from "vitest";
import type { RotationStep } from "./root-key-rotation.js";
import { actorFor, ENGINES, META } from "./test-support.js";
import { expectIntact, rotateInProcess, rotationPlace, seedSecrets } from "./test-rotation.js";

/** Each step, and whether the rotation has committed by then (the new key must win). */
const STEPS: [RotationStep, boolean][] = [
  ["locked", false],
  ["next-written", false],
  ["rewrapped", false],
  ["committed", true],
  ["previous-written", true],
  ["installed", true],
];

const activeKeyId = async (dataDir: string): Promise<string> =>
  rootKeyId(Buffer.from((await readFile(path.join(dataDir, "root.key"), "utf8")).trim(), "base64"));

describe.each(ENGINES)("a rotation killed on %s", (engine) => {
  it.each(STEPS)(
    "at %s: a restart reads every secret (rotation committed: %s)",
    async (step, committed) => {
      const place = await rotationPlace(engine);
      try {
        const first = await place.start();
        const token = first.adminToken!;
        const values = await seedSecrets(first, token);
        const before = first.deps.keyring.activeRootKeyId;
        await first.close();

        const task = { dataDir: place.dataDir, token, rotations: 1, killAt: step };
        const child = rotateInProcess(
          place.databaseUrl === undefined ? task : { ...task, databaseUrl: place.databaseUrl },
        );
        await child.started;
        child.go();
        expect(await child.done).toBe("killed");

        const restarted = await place.start();
        await expectIntact(restarted, token, values, place.dataDir);
        const after = await activeKeyId(place.dataDir);
        if (committed) expect(after).not.toBe(before);
        else expect(after).toBe(before);
        // And the next rotation goes through.
        const admin = await actorFor(restarted, token);
        const rotated = await restarted.services.keys.rotateRoot(admin, META);
        expect(rotated.rootKeyId).toBe(await activeKeyId(place.dataDir));
        await restarted.close();

        const again = await place.start();
        await expectIntact(again, token, values, place.dataDir);
        await again.close();
      } finally {
        await place.drop();
      }
    },
    300_000,
  );
});
