/**
 * Inputs as the runner passes them: `INPUT_` + the name uppercased (spaces → `_`), with
 * action.yml's default for every input the workflow leaves out (read from action.yml itself,
 * so tests run with the defaults users get).
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const ACTION_YML = fileURLToPath(new URL("../action.yml", import.meta.url));

/** `default:` of each input in action.yml (a two-level reading of our own file, not YAML at large). */
export function actionDefaults(): Record<string, string> {
  const defaults: Record<string, string> = {};
  let section = "";
  let input = "";
  for (const line of readFileSync(ACTION_YML, "utf8").split("\n")) {
    const top = /^(\S[^:]*):/.exec(line);
    if (top) section = top[1]!;
    const name = /^ {2}([\w-]+):\s*$/.exec(line);
    if (name) input = name[1]!;
    const value = /^ {4}default:\s*(.*)$/.exec(line);
    if (section === "inputs" && value) defaults[input] = value[1]!.replace(/^"(.*)"$/, "$1");
  }
  return defaults;
}

export const inputVariable = (name: string): string =>
  `INPUT_${name.replace(/ /g, "_").toUpperCase()}`;

/** The INPUT_* variables for these inputs over action.yml's defaults. */
export function inputEnv(inputs: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries({ ...actionDefaults(), ...inputs }).map(([name, value]) => [
      inputVariable(name),
      value,
    ]),
  );
}
