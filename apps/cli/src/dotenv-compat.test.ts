/**
 * Import and export agree with the `dotenv` package on the cases of its own test suite
 * (tests/.env, tests/.env-multiline and the line-ending cases of tests/test-parse.js), plus
 * `KEY: value`: what dotenv imports is imported and not reported, what it skips is reported,
 * and every exported line reads back through dotenv as the exact value. Values are fake.
 */
import { parse } from "dotenv";
import { describe, expect, it } from "vitest";
import { dotenvLine, parseDotenv } from "./commands/dotenv-format.js";

// dotenv's tests/.env, as in its repository.
const DOTENV_FIXTURE = `BASIC=basic

# previous line intentionally left blank
AFTER_LINE=after_line
EMPTY=
EMPTY_SINGLE_QUOTES=''
EMPTY_DOUBLE_QUOTES=""
EMPTY_BACKTICKS=\`\`
SINGLE_QUOTES='single_quotes'
SINGLE_QUOTES_SPACED='    single quotes    '
DOUBLE_QUOTES="double_quotes"
DOUBLE_QUOTES_SPACED="    double quotes    "
DOUBLE_QUOTES_INSIDE_SINGLE='double "quotes" work inside single quotes'
DOUBLE_QUOTES_WITH_NO_SPACE_BRACKET="{ port: $MONGOLAB_PORT}"
SINGLE_QUOTES_INSIDE_DOUBLE="single 'quotes' work inside double quotes"
BACKTICKS_INSIDE_SINGLE='\`backticks\` work inside single quotes'
BACKTICKS_INSIDE_DOUBLE="\`backticks\` work inside double quotes"
BACKTICKS=\`backticks\`
BACKTICKS_SPACED=\`    backticks    \`
DOUBLE_QUOTES_INSIDE_BACKTICKS=\`double "quotes" work inside backticks\`
SINGLE_QUOTES_INSIDE_BACKTICKS=\`single 'quotes' work inside backticks\`
DOUBLE_AND_SINGLE_QUOTES_INSIDE_BACKTICKS=\`double "quotes" and single 'quotes' work inside backticks\`
EXPAND_NEWLINES="expand\\nnew\\nlines"
DONT_EXPAND_UNQUOTED=dontexpand\\nnewlines
DONT_EXPAND_SQUOTED='dontexpand\\nnewlines'
# COMMENTS=work
INLINE_COMMENTS=inline comments # work #very #well
INLINE_COMMENTS_SINGLE_QUOTES='inline comments outside of #singlequotes' # work
INLINE_COMMENTS_DOUBLE_QUOTES="inline comments outside of #doublequotes" # work
INLINE_COMMENTS_BACKTICKS=\`inline comments outside of #backticks\` # work
INLINE_COMMENTS_SPACE=inline comments start with a#number sign. no space required.
EQUAL_SIGNS=equals==
RETAIN_INNER_QUOTES={"foo": "bar"}
RETAIN_INNER_QUOTES_AS_STRING='{"foo": "bar"}'
RETAIN_INNER_QUOTES_AS_BACKTICKS=\`{"foo": "bar's"}\`
TRIM_SPACE_FROM_UNQUOTED=    some spaced out string
USERNAME=therealnerdybeast@example.tld
    SPACED_KEY = parsed
`;

// What dotenv's tests/test-parse.js expects of it.
const DOTENV_EXPECTED: Record<string, string> = {
  BASIC: "basic",
  AFTER_LINE: "after_line",
  EMPTY: "",
  EMPTY_SINGLE_QUOTES: "",
  EMPTY_DOUBLE_QUOTES: "",
  EMPTY_BACKTICKS: "",
  SINGLE_QUOTES: "single_quotes",
  SINGLE_QUOTES_SPACED: "    single quotes    ",
  DOUBLE_QUOTES: "double_quotes",
  DOUBLE_QUOTES_SPACED: "    double quotes    ",
  DOUBLE_QUOTES_INSIDE_SINGLE: 'double "quotes" work inside single quotes',
  DOUBLE_QUOTES_WITH_NO_SPACE_BRACKET: "{ port: $MONGOLAB_PORT}",
  SINGLE_QUOTES_INSIDE_DOUBLE: "single 'quotes' work inside double quotes",
  BACKTICKS_INSIDE_SINGLE: "`backticks` work inside single quotes",
  BACKTICKS_INSIDE_DOUBLE: "`backticks` work inside double quotes",
  BACKTICKS: "backticks",
  BACKTICKS_SPACED: "    backticks    ",
  DOUBLE_QUOTES_INSIDE_BACKTICKS: 'double "quotes" work inside backticks',
  SINGLE_QUOTES_INSIDE_BACKTICKS: "single 'quotes' work inside backticks",
  DOUBLE_AND_SINGLE_QUOTES_INSIDE_BACKTICKS: `double "quotes" and single 'quotes' work inside backticks`,
  EXPAND_NEWLINES: "expand\nnew\nlines",
  DONT_EXPAND_UNQUOTED: "dontexpand\\nnewlines",
  DONT_EXPAND_SQUOTED: "dontexpand\\nnewlines",
  INLINE_COMMENTS: "inline comments",
  INLINE_COMMENTS_SINGLE_QUOTES: "inline comments outside of #singlequotes",
  INLINE_COMMENTS_DOUBLE_QUOTES: "inline comments outside of #doublequotes",
  INLINE_COMMENTS_BACKTICKS: "inline comments outside of #backticks",
  INLINE_COMMENTS_SPACE: "inline comments start with a",
  EQUAL_SIGNS: "equals==",
  RETAIN_INNER_QUOTES: '{"foo": "bar"}',
  RETAIN_INNER_QUOTES_AS_STRING: '{"foo": "bar"}',
  RETAIN_INNER_QUOTES_AS_BACKTICKS: `{"foo": "bar's"}`,
  TRIM_SPACE_FROM_UNQUOTED: "some spaced out string",
  USERNAME: "therealnerdybeast@example.tld",
  SPACED_KEY: "parsed",
};

// dotenv's tests/.env-multiline: the multi-line values (the rest repeats the fixture above).
const MULTILINE_FIXTURE = `BASIC=basic

MULTI_DOUBLE_QUOTED="THIS
IS
A
MULTILINE
STRING"

MULTI_SINGLE_QUOTED='THIS
IS
A
MULTILINE
STRING'

MULTI_BACKTICKED=\`THIS
IS
A
"MULTILINE'S"
STRING\`

MULTI_PEM_DOUBLE_QUOTED="-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAnNl1tL3QjKp3DZWM0T3u
u4QuUoobAgMBAAE=
-----END PUBLIC KEY-----"
`;

const MULTILINE_EXPECTED: Record<string, string> = {
  BASIC: "basic",
  MULTI_DOUBLE_QUOTED: "THIS\nIS\nA\nMULTILINE\nSTRING",
  MULTI_SINGLE_QUOTED: "THIS\nIS\nA\nMULTILINE\nSTRING",
  MULTI_BACKTICKED: `THIS\nIS\nA\n"MULTILINE'S"\nSTRING`,
  MULTI_PEM_DOUBLE_QUOTED:
    "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAnNl1tL3QjKp3DZWM0T3u\nu4QuUoobAgMBAAE=\n-----END PUBLIC KEY-----",
};

const LINE_ENDINGS = { SERVER: "localhost", PASSWORD: "password", DB: "tests" };

describe("import reads what dotenv reads, and reports only what it skips", () => {
  it.each([
    ["tests/.env", DOTENV_FIXTURE, DOTENV_EXPECTED],
    ["tests/.env-multiline", MULTILINE_FIXTURE, MULTILINE_EXPECTED],
    ["CR line endings", "SERVER=localhost\rPASSWORD=password\rDB=tests\r", LINE_ENDINGS],
    ["LF line endings", "SERVER=localhost\nPASSWORD=password\nDB=tests\n", LINE_ENDINGS],
    ["CRLF line endings", "SERVER=localhost\r\nPASSWORD=password\r\nDB=tests\r\n", LINE_ENDINGS],
    ["KEY: value", "SERVER: localhost\nPASSWORD: password\r\nDB: tests", LINE_ENDINGS],
    [
      "export KEY=value",
      "export SERVER=localhost\nexport PASSWORD=password\nDB=tests",
      LINE_ENDINGS,
    ],
  ])("%s", (_, text, expected) => {
    const { entries, skipped } = parseDotenv(text);
    expect(Object.fromEntries(entries)).toStrictEqual(expected);
    expect(Object.fromEntries(entries)).toStrictEqual(parse(text));
    expect(skipped).toStrictEqual([]);
  });

  it.each([
    ["what is this", [1]],
    ["A=1\nwhat is this\r\nB=2\n  # comment\nKEY value\nC: 3\n", [2, 5]],
    ["A='a\nstill a'\nnot a line\r\nB=`b\nmore b`\n", [3]],
    ["A=1\r\rjunk\rB=2", [3]],
  ] as const)("%j: lines %j skipped and reported", (text, lines) => {
    const { entries, skipped } = parseDotenv(text);
    expect(Object.fromEntries(entries)).toStrictEqual(parse(text));
    expect(skipped.map((s) => s.line)).toStrictEqual(lines);
  });
});

describe("export writes each value so that dotenv reads it back exactly", () => {
  const values: Record<string, string> = {
    ...DOTENV_EXPECTED,
    ...MULTILINE_EXPECTED,
    APOSTROPHE: "it's fake",
    DOUBLE: 'say "fake"',
    BACKTICK: "run `fake`",
    SINGLE_AND_DOUBLE: `it's "fake"`,
    ALL_THREE: `it's "fake" \`really\``,
    ALL_THREE_SPACED: ` it's "fake" \`really\` `,
    CR: "fake\rvalue",
    CRLF: "fake\r\nvalue\r\n",
    CR_AND_QUOTE: "it's\rfake",
    HASH: "fake#not-a-comment",
    BACKSLASH_N: "fake\\nvalue",
    BACKSLASH_N_AND_NEWLINE: "fake\\n\nvalue",
    SPACES: "  fake  ",
    EMPTY_VALUE: "",
    EQUALS: "a=b=c",
    UNICODE: "fake-värde-✓",
  };

  it.each(Object.entries(values))("%s", (name, value) => {
    const line = dotenvLine(name, value);
    expect(line, `no dotenv form for ${name}`).toBeDefined();
    expect(parse(line!)).toStrictEqual({ [name]: value });
  });

  it("a value no form holds gets undefined (the caller reports it), never a wrong line", () => {
    // A CR needs double quotes (dotenv turns raw CRs into LFs); a `"` inside them holds only
    // when nothing follows it but the line's end, and a `#` then starts a comment.
    expect(dotenvLine("NONE", 'fake "x" #1\r')).toBeUndefined();
    expect(dotenvLine("SOME", 'fake "x" 1\r')).toBeDefined();
  });
});
