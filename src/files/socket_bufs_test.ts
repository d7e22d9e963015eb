import assert from "node:assert/strict";
import { LOG_LEVEL, Logger } from "../log.ts";
import {
  AF,
  close,
  ERRNO,
  getsockoptInt,
  setFaultInjector,
  setsockoptInt,
  SO,
  SOCK,
  socketpair,
  SOL_SOCKET,
} from "../sys/mod.ts";
import { leakChecked } from "../sys/_testing.ts";
import { restoreBufferSize, setBufferSize } from "./socket_bufs.ts";
import { sendQueue } from "./socket_queue.ts";

const WMEM_MAX = Number(Deno.readTextFileSync("/proc/sys/net/core/wmem_max"));
const RMEM_MAX = Number(Deno.readTextFileSync("/proc/sys/net/core/rmem_max"));

/**
 * Runs `fn` as a user without CAP_NET_ADMIN would: SO_SNDBUFFORCE and
 * SO_RCVBUFFORCE fail with EPERM. Returns the forcing calls it made.
 */
function withoutForce(fn: () => void): string[] {
  const forced: string[] = [];
  setFaultInjector((call, args) => {
    if (call !== "setsockopt" || !String(args[1]).endsWith("BUFFORCE")) return undefined;
    forced.push(String(args[1]));
    return ERRNO.EPERM;
  });
  try {
    fn();
  } finally {
    setFaultInjector(null);
  }
  return forced;
}

function withPair(fn: (a: number, b: number) => void): () => Promise<void> {
  return leakChecked(() => {
    const [a, b] = socketpair(AF.UNIX, SOCK.STREAM | SOCK.CLOEXEC);
    try {
      fn(a, b);
    } finally {
      close(a);
      close(b);
    }
  });
}

Deno.test(
  "a buffer size within net.core.wmem_max/rmem_max is set without forcing, doubled as forced",
  withPair((a) => {
    const forced = withoutForce(() => {
      assert.equal(setBufferSize(a, "send", 50000), undefined);
      assert.equal(setBufferSize(a, "receive", 60000), undefined);
    });
    assert.deepEqual(forced, []);
    assert.equal(getsockoptInt(a, SOL_SOCKET, SO.SNDBUF), 100000);
    assert.equal(getsockoptInt(a, SOL_SOCKET, SO.RCVBUF), 120000);
  }),
);

Deno.test(
  "a buffer size beyond the cap is forced; without CAP_NET_ADMIN it keeps the capped size",
  withPair((a, b) => {
    const forced = withoutForce(() => {
      assert.equal(setBufferSize(a, "receive", RMEM_MAX + 4096), 2 * RMEM_MAX);
    });
    assert.deepEqual(forced, ["SO_RCVBUFFORCE"]);
    assert.equal(getsockoptInt(a, SOL_SOCKET, SO.RCVBUF), 2 * RMEM_MAX);
    // For real: root forces the size, anyone else gets the cap.
    const got = setBufferSize(b, "send", WMEM_MAX + 4096);
    const want = Deno.uid() === 0 ? 2 * (WMEM_MAX + 4096) : 2 * WMEM_MAX;
    assert.equal(got, Deno.uid() === 0 ? undefined : want);
    assert.equal(getsockoptInt(b, SOL_SOCKET, SO.SNDBUF), want);
  }),
);

Deno.test(
  "a dumped buffer that cannot be forced is named in a warning; one that fits is not",
  withPair((a) => {
    const lines: string[] = [];
    const log = new Logger(LOG_LEVEL.WARN, (l) => lines.push(l));
    const size = 2 * (WMEM_MAX + 4096);
    withoutForce(() => {
      restoreBufferSize(log, a, "send", size, "socket:[77]");
      restoreBufferSize(log, a, "receive", 212992, "socket:[77]");
    });
    assert.deepEqual(lines, [
      `Warn: socket:[77]: a send buffer of ${size} bytes needs CAP_NET_ADMIN (SO_SNDBUFFORCE); ` +
      `it keeps ${2 * WMEM_MAX}, what net.core.wmem_max allows\n`,
    ]);
    assert.equal(getsockoptInt(a, SOL_SOCKET, SO.RCVBUF), 212992);
  }),
);

Deno.test(
  "a failed forcing names the option, not its number",
  withPair((a) => {
    withoutForce(() => {
      assert.throws(() => setsockoptInt(a, SOL_SOCKET, SO.SNDBUFFORCE, 1 << 20), {
        message: `setsockopt(fd ${a}, SO_SNDBUFFORCE): EPERM (Operation not permitted)`,
      });
    });
  }),
);

Deno.test(
  "a queue too big for the capped send buffer fails naming what forcing it needs",
  withPair((a) => {
    if (WMEM_MAX > 64 << 20) {
      return void console.log("skipped: queue beyond wmem_max: net.core.wmem_max is over 64 MiB");
    }
    const data = new Uint8Array(2 * WMEM_MAX + 65536);
    const need = 2 * data.byteLength + 1024;
    withoutForce(() => {
      assert.throws(() => sendQueue(a, [{ idFor: 5, data, rights: [] }], new Map(), "socket:[5]"), {
        message: `receive queue of socket:[5] (1 packets, ${data.byteLength} bytes) does not fit ` +
          `into the restored socket: a send buffer of ${2 * need} bytes needs CAP_NET_ADMIN ` +
          `(SO_SNDBUFFORCE), net.core.wmem_max allows ${2 * WMEM_MAX}`,
      });
    });
  }),
);
