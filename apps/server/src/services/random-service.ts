/** Random secret generation (SPEC §5), for any signed-in caller; nothing is stored or logged. */
import { generateRandomSecret, type RandomSecretOptions } from "@coffer/core";

export const randomValue = (options: RandomSecretOptions): { value: string } => ({
  value: generateRandomSecret(options),
});
