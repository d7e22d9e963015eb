import assert from "node:assert/strict";
import { parseExecArg, splitWords } from "./exec_arg.ts";

Deno.test("--exec takes a pid and a command split into words", () => {
  assert.deepEqual(parseExecArg("4151=/usr/sbin/nginx -c /etc/nginx/nginx.conf"), {
    pid: 4151,
    argv: ["/usr/sbin/nginx", "-c", "/etc/nginx/nginx.conf"],
  });
});

Deno.test("words are split like a shell splits them, without expanding anything", () => {
  assert.deepEqual(
    splitWords(`  nginx -g 'daemon off;' -c "/etc/my nginx/a.conf"\ta\\ b $HOME * ''`),
    ["nginx", "-g", "daemon off;", "-c", "/etc/my nginx/a.conf", "a b", "$HOME", "*", ""],
  );
  // inside double quotes only \" \\ \$ \` lose their backslash
  assert.deepEqual(splitWords(String.raw`"a \"q\" \\ \$x \n" 'it'`), [
    String.raw`a "q" \ $x \n`,
    "it",
  ]);
  assert.deepEqual(splitWords(`a'b'"c"d`), ["abcd"]);
});

Deno.test("--exec values that are wrong say why", () => {
  const cases: [string, string][] = [
    ["nginx", "invalid --exec 'nginx' (expected PID=PROGRAM ARGS...)"],
    ["x=nginx", "invalid --exec 'x=nginx' (expected PID=PROGRAM ARGS...)"],
    ["0=nginx", "invalid --exec '0=nginx': 0 is not a process id"],
    ["12=", "invalid --exec '12=': no program after ="],
    ["12=  ", "invalid --exec '12=  ': no program after ="],
    ["12=sh -c 'a", "invalid --exec '12=sh -c 'a': a single quote is not closed"],
    ['12=sh -c "a', `invalid --exec '12=sh -c "a': a double quote is not closed`],
    ["12=sh \\", "invalid --exec '12=sh \\': a backslash is not closed"],
  ];
  for (const [value, message] of cases) assert.throws(() => parseExecArg(value), { message });
});
