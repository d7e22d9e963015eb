/**
 * The program each restored task starts: the rules that doubt a recorded one
 * (a process title in place of the argv, a name that does not lead to the exe),
 * `--exec PID=...` for one task, and the refusal of a doubted program.
 *
 * ```ts
 * import { judge, refused } from "./mod.ts";
 * const v = judge({ exe: "/usr/sbin/nginx", argv: ["nginx: worker process", "", ""] }, () => false);
 * console.log(refused(v), v.title); // true [ "argv[0] has spaces", "2 empty strings end it" ]
 * ```
 *
 * @module
 */
export { baseName, judge, type Recorded, refused, usableEnv, type Verdict } from "./recorded.ts";
export { leadsToExe, type TaskPaths } from "./leads_to.ts";
export { type ExecArg, ExecArgError, parseExecArg, splitWords } from "./exec_arg.ts";
export {
  checkPrograms,
  doubtedTasks,
  doubtText,
  execHint,
  judgeTask,
  type ProgramChoice,
  userProgram,
} from "./choose.ts";
