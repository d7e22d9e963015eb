import assert from "node:assert/strict";
import { O } from "./consts.ts";
import { ERRNO, setFaultInjector } from "./errno.ts";
import { close, open } from "./fd.ts";
import { getLockedTermios, openPtyPeer, setPtyLock, setTermios, type Termios } from "./tty.ts";
import { leakChecked } from "./_testing.ts";

const NONE: Termios = { iflag: 0, oflag: 0, cflag: 0, lflag: 0, line: 0, cc: new Uint8Array(19) };
const ECHO = 0o10;

Deno.test(
  "locked termios a terminal already has are not set again, so no locks need no root",
  leakChecked(() => {
    const master = open("/dev/ptmx", O.RDWR | O.NOCTTY | O.CLOEXEC);
    setPtyLock(master, false);
    const slave = openPtyPeer(master, O.RDWR | O.NOCTTY | O.CLOEXEC);
    const sets: string[] = [];
    // Without CAP_SYS_ADMIN, TIOCSLCKTRMIOS fails with EPERM.
    setFaultInjector((call, args) => {
      if (call !== "ioctl" || args[1] !== "0x5457") return undefined;
      sets.push(String(args[1]));
      return ERRNO.EPERM;
    });
    try {
      assert.deepEqual(getLockedTermios(slave), NONE); // a new terminal locks nothing
      setTermios(slave, NONE, true);
      assert.deepEqual(sets, []);
      const echoLocked = { ...NONE, lflag: ECHO };
      assert.throws(() => setTermios(slave, echoLocked, true), {
        message: `ioctl(fd ${slave}, 0x5457): EPERM (Operation not permitted)`,
      });
      setFaultInjector(null);
      if (Deno.uid() === 0) {
        setTermios(slave, echoLocked, true);
        assert.deepEqual(getLockedTermios(slave), echoLocked);
      }
    } finally {
      setFaultInjector(null);
      close(slave);
      close(master);
    }
  }),
);
