/**
 * `coffer completion bash|zsh|fish`: a completion script made from the program's own command
 * tree when it is asked for, so every command and option registered anywhere is covered. The
 * script is static (no call back into `coffer` on each TAB): completing stays instant.
 */
import type { Command } from "commander";
import type { Cli } from "../context.js";
import { UsageError } from "../errors.js";

interface Node {
  /** The words that lead here: "" for the program, "secret add" for that command. */
  path: string;
  subcommands: { name: string; description: string }[];
  options: { flags: string[]; description: string; takesValue: boolean }[];
}

/** Every command of the tree, depth first, with its subcommands and options. */
export function commandTree(program: Command): Node[] {
  const nodes: Node[] = [];
  const walk = (command: Command, path: string): void => {
    const visible = command.commands.filter(
      (c) => !(c as unknown as { _hidden?: boolean })._hidden,
    );
    nodes.push({
      path,
      subcommands: visible.flatMap((c) =>
        [c.name(), ...c.aliases()].map((name) => ({ name, description: c.description() })),
      ),
      options: [
        ...command.options
          .filter((o) => !o.hidden)
          .map((o) => ({
            flags: [o.long, o.short].filter((f): f is string => f !== undefined),
            description: o.description,
            takesValue: o.required || o.optional,
          })),
        { flags: ["--help", "-h"], description: "show help", takesValue: false },
      ],
    });
    for (const c of visible) walk(c, path === "" ? c.name() : `${path} ${c.name()}`);
  };
  walk(program, "");
  return nodes;
}

/** The two lookups every shell's script shares: subcommands, and options, of a path. */
function caseTable(nodes: Node[], fn: string, pick: (n: Node) => string[]): string {
  const arms = nodes
    .filter((n) => pick(n).length > 0)
    .map((n) => `    "${n.path}") echo "${pick(n).join(" ")}" ;;`)
    .join("\n");
  return `${fn}() {\n  case "$1" in\n${arms}\n  esac\n}\n`;
}

/** Shell function source walking the typed words to the deepest known command. */
function sharedFunctions(nodes: Node[]): string {
  return (
    caseTable(nodes, "_coffer_subs", (n) => n.subcommands.map((s) => s.name)) +
    caseTable(nodes, "_coffer_opts", (n) => n.options.flatMap((o) => o.flags))
  );
}

function bash(nodes: Node[]): string {
  return `# coffer completion for bash: eval "$(coffer completion bash)" in ~/.bashrc
${sharedFunctions(nodes)}_coffer_completion() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" cmdpath="" w i
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case " $(_coffer_subs "$cmdpath") " in *" $w "*) cmdpath="\${cmdpath:+$cmdpath }$w" ;; esac
  done
  case "$cur" in
    -*) COMPREPLY=($(compgen -W "$(_coffer_opts "$cmdpath")" -- "$cur")) ;;
    *) COMPREPLY=($(compgen -W "$(_coffer_subs "$cmdpath")" -- "$cur")) ;;
  esac
}
complete -o default -F _coffer_completion coffer
`;
}

function zsh(nodes: Node[]): string {
  return `#compdef coffer
# coffer completion for zsh: eval "$(coffer completion zsh)" in ~/.zshrc (after compinit)
${sharedFunctions(nodes)}_coffer() {
  local cmdpath="" w i
  for ((i = 2; i < CURRENT; i++)); do
    w="\${words[i]}"
    case " $(_coffer_subs "$cmdpath") " in *" $w "*) cmdpath="\${cmdpath:+$cmdpath }$w" ;; esac
  done
  local -a found
  if [[ "\${words[CURRENT]}" == -* ]]; then
    found=(\${=$(_coffer_opts "$cmdpath")})
  else
    found=(\${=$(_coffer_subs "$cmdpath")})
  fi
  if (( \${#found} )); then compadd -- "\${found[@]}"; else _files; fi
}
compdef _coffer coffer
`;
}

const fishQuote = (text: string): string =>
  `'${text.replace(/\s+/g, " ").replace(/[\\']/g, (c) => `\\${c}`)}'`;

function fish(nodes: Node[]): string {
  const arms = nodes
    .filter((n) => n.subcommands.length > 0)
    .map(
      (n) =>
        `    case ${fishQuote(n.path)}\n      echo ${n.subcommands.map((s) => s.name).join(" ")}`,
    )
    .join("\n");
  const lines = nodes.flatMap((n) => {
    const at = `-n '__coffer_at ${fishQuote(n.path).replace(/'/g, "\\'")}'`;
    return [
      ...n.subcommands.map(
        (s) => `complete -c coffer -f ${at} -a ${fishQuote(s.name)} -d ${fishQuote(s.description)}`,
      ),
      ...n.options.map((o) => {
        const flags = o.flags
          .map((f) => (f.startsWith("--") ? `-l ${f.slice(2)}` : `-s ${f.slice(1)}`))
          .join(" ");
        return `complete -c coffer ${at} ${flags}${o.takesValue ? " -r" : ""} -d ${fishQuote(o.description)}`;
      }),
    ];
  });
  return `# coffer completion for fish: coffer completion fish > ~/.config/fish/completions/coffer.fish
function __coffer_subs
  switch "$argv[1]"
${arms}
  end
end
function __coffer_at
  set -l cmdpath ""
  set -l typed (commandline -opc)
  set -e typed[1]
  for w in $typed
    if contains -- $w (string split ' ' -- (__coffer_subs "$cmdpath"))
      set cmdpath (string trim -- "$cmdpath $w")
    end
  end
  test "$cmdpath" = "$argv[1]"
end
${lines.join("\n")}
`;
}

const SHELLS = { bash, zsh, fish } as const;

export function registerCompletion(program: Command, cli: Cli): void {
  program
    .command("completion <shell>")
    .description("print a completion script for bash, zsh or fish")
    .addHelpText(
      "after",
      `
Examples:
  eval "$(coffer completion bash)"        # in ~/.bashrc
  eval "$(coffer completion zsh)"         # in ~/.zshrc, after compinit
  coffer completion fish > ~/.config/fish/completions/coffer.fish
`,
    )
    .action((shell: string) => {
      if (!Object.hasOwn(SHELLS, shell))
        throw new UsageError("the shell is bash, zsh or fish", "coffer completion bash|zsh|fish");
      cli.io.out(SHELLS[shell as keyof typeof SHELLS](commandTree(program)));
    });
}
