import assert from "node:assert/strict";
import { FD_TYPE } from "../model/mod.ts";
import { close, getFlags, O } from "../sys/mod.ts";
import { nsFileOpener } from "./nsfile.ts";
import { firstFile, oneTask, testContext } from "./_test_utils.ts";

const CLONE_NEWNET = 0x4000_0000;
const CLONE_NEWUTS = 0x0400_0000;

/** Opens an NS file of a task that lives in net namespace 2 and uts namespace 4. */
function openNs(payload: Record<string, unknown>): number {
  const cp = oneTask([{ id: 6, type: FD_TYPE.NS, payload, fds: [4] }]);
  Object.assign(cp.root, { nsIds: { pid: 1, net: 2, uts: 4 } });
  const t = testContext(cp);
  try {
    return nsFileOpener.open(t.ctx, firstFile(cp, FD_TYPE.NS)) as number;
  } finally {
    t.dispose();
  }
}

const inode = (path: string) => Deno.statSync(path).ino;

Deno.test("a namespace fd is a new open of the namespace the restored task lives in", () => {
  const fd = openNs({ id: 6, ns_id: 2, ns_cflag: CLONE_NEWNET, flags: O.LARGEFILE });
  try {
    assert.equal(inode(`/proc/self/fd/${fd}`), inode("/proc/self/ns/net"));
    assert.equal(getFlags(fd) & (O.ACCMODE | O.LARGEFILE), O.RDONLY | O.LARGEFILE);
  } finally {
    close(fd);
  }
  const uts = openNs({ id: 6, ns_id: 4, ns_cflag: CLONE_NEWUTS, flags: 0 });
  try {
    assert.equal(inode(`/proc/self/fd/${uts}`), inode("/proc/self/ns/uts"));
  } finally {
    close(uts);
  }
});

Deno.test("a namespace no task lives in, or of another kind than the image says, is refused", () => {
  assert.throws(
    () => openNs({ id: 6, ns_id: 9, ns_cflag: CLONE_NEWNET, flags: 0 }),
    { message: "Can't find suitable NS ID for 0x9 (files.img id 6)" },
  );
  assert.throws(
    () => openNs({ id: 6, ns_id: 2, ns_cflag: CLONE_NEWUTS, flags: 0 }),
    { message: "Clone flag mismatch for 0x2 (net namespace)" },
  );
});
