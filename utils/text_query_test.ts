import assert from "node:assert/strict";
import {
  formatTextQuery,
  matchesTextQuery,
  parseTextQuery,
  TEXT_QUERY_SYNTAX,
  type TextQuery,
} from "./text_query.ts";

const parsed = (include: string[], exclude: string[] = []): TextQuery => ({ include, exclude });

Deno.test("parseTextQuery() reads words, phrases and exclusions", () => {
  const cases: [string, TextQuery][] = [
    ["timeout", parsed(["timeout"])],
    ["  Database   Lock ", parsed(["Database", "Lock"])],
    ['"Database Lock"', parsed(["Database Lock"])],
    ['"Database Lock" -retry', parsed(["Database Lock"], ["retry"])],
    ['-"connection reset" -debug', parsed([], ["connection reset", "debug"])],
    ["50%_off", parsed(["50%_off"])],
    ['key="v a"', parsed(['key="v', 'a"'])],
    ["it's élan", parsed(["it's", "élan"])],
    ['"say \\"hi\\" \\\\ \\n"', parsed(['say "hi" \\ \\n'])],
    ["a-b c-", parsed(["a-b", "c-"])],
    ["tab\tand\nline", parsed(["tab", "and", "line"])],
    ['"status":"failed" -"x"', parsed(['status":"failed'], ["x"])],
    ['"a "b c"', parsed(['a "b c'])],
    ['"a "b" c"', parsed(['a "b', 'c"'])],
  ];
  for (const [text, expected] of cases) {
    assert.deepEqual(parseTextQuery(text), expected, text);
    assert.deepEqual(parseTextQuery(formatTextQuery(expected)), expected, `${text} round trip`);
  }
});

Deno.test("parseTextQuery() refuses malformed queries, naming the problem and the syntax", () => {
  const cases: [string, RegExp][] = [
    ['"Database Lock', /the quote at character 1 is not closed/],
    ['ok -"half', /the quote at character 5 is not closed/],
    ['""', /the phrase at character 1 is empty/],
    ['"a"b', /the quote at character 1 is not closed/],
    ["ok -", /the "-" at character 4 has no word or phrase after it/],
    ["- x", /the "-" at character 1 has no word or phrase after it/],
    ["", /it has no term/],
    ["   ", /it has no term/],
  ];
  for (const [text, problem] of cases) {
    assert.throws(() => parseTextQuery(text), (error: Error) => {
      assert.ok(error instanceof SyntaxError, text);
      assert.match(error.message, problem, text);
      assert.ok(error.message.includes(TEXT_QUERY_SYNTAX), text);
      return true;
    });
  }
});

Deno.test("matchesTextQuery() needs every included term and no excluded one, ignoring case", () => {
  const body = 'Database LOCK held by "worker 7": 50% done_';
  const matches = (text: string) => matchesTextQuery(parseTextQuery(text), body);
  assert.equal(matches("database lock"), true);
  assert.equal(matches('"database lock held"'), true);
  assert.equal(matches('"lock database"'), false);
  assert.equal(matches("database -worker"), false);
  assert.equal(matches("database -retry"), true);
  assert.equal(matches("-retry"), true);
  assert.equal(matches('"\\"worker 7\\""'), true);
  assert.equal(matches("50%"), true);
  assert.equal(matches("done_"), true);
  assert.equal(matches("%_"), false);
  assert.equal(matchesTextQuery(parseTextQuery("ÉLAN"), "élan vital"), true);
});
