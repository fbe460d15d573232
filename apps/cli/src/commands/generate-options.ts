/** The random-generation options of `gen` and `--generate` (AWS GetRandomPassword's). */
import type { RandomSecretOptions } from "@coffer/core";
import type { Command } from "commander";
import { UsageError } from "../errors.js";

/** core's options as commander gives them: the same names, the length as typed. */
export type GenerateFlags = Omit<RandomSecretOptions, "length"> & { length?: string };

export function withGenerateOptions(command: Command): Command {
  return command
    .option("--length <n>", "length of a generated value (default 32)")
    .option("--exclude-characters <chars>", "characters a generated value never holds")
    .option("--exclude-numbers", "no digits")
    .option("--exclude-punctuation", "no punctuation")
    .option("--exclude-uppercase", "no uppercase letters")
    .option("--exclude-lowercase", "no lowercase letters")
    .option("--include-space", "allow spaces")
    .option(
      "--no-require-each-included-type",
      "do not require one character of each included type",
    );
}

export function generateOptions(flags: GenerateFlags): RandomSecretOptions {
  const options: RandomSecretOptions = {};
  if (flags.length !== undefined) {
    if (!/^\d{1,4}$/.test(flags.length))
      throw new UsageError("--length takes a whole number from 1 to 4096");
    options.length = Number(flags.length);
  }
  if (flags.excludeCharacters !== undefined) options.excludeCharacters = flags.excludeCharacters;
  if (flags.excludeNumbers) options.excludeNumbers = true;
  if (flags.excludePunctuation) options.excludePunctuation = true;
  if (flags.excludeUppercase) options.excludeUppercase = true;
  if (flags.excludeLowercase) options.excludeLowercase = true;
  if (flags.includeSpace) options.includeSpace = true;
  if (flags.requireEachIncludedType === false) options.requireEachIncludedType = false;
  return options;
}
