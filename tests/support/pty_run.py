#!/usr/bin/python3
"""Runs a command on a new pseudo-terminal (as a terminal emulator would:
the child leads a session whose controlling terminal is the slave), types
the steps into the master and prints one JSON line: what was read, and how
the command ended.

usage: pty_run.py STEPS_JSON -- COMMAND...
STEPS_JSON: [["wait", "text"], ["type", "text"], ...]; "wait" reads until
the text appears (10 s at most).
"""
import json
import os
import pty
import select
import sys
import time


def main():
    steps = json.loads(sys.argv[1])
    cmd = sys.argv[sys.argv.index("--") + 1:]
    pid, master = pty.fork()
    if pid == 0:
        os.execv(cmd[0], cmd)
    seen = b""

    def read_some(deadline):
        nonlocal seen
        r, _, _ = select.select([master], [], [], max(0, deadline - time.time()))
        if not r:
            return False
        try:
            chunk = os.read(master, 4096)
        except OSError:
            return False
        if not chunk:
            return False
        seen += chunk
        return True

    ok = True
    for kind, text in steps:
        if kind == "type":
            os.write(master, text.encode())
        else:
            deadline = time.time() + 10
            while text.encode() not in seen:
                if not read_some(deadline):
                    ok = False
                    break
            if not ok:
                break
    if not ok:
        os.kill(pid, 9)
    end = time.time() + 10
    status = None
    while time.time() < end:
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            status = st
            break
        read_some(time.time() + 0.05)
    if status is None:
        os.kill(pid, 9)
        _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    print(json.dumps({"ok": ok, "output": seen.decode(errors="replace"), "exit": code}))


main()
