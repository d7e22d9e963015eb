/**
 * A zstd-decompressed stream through node:zlib, loaded here and only when a
 * zstd archive is opened (~40 ms of start-up). Deno's zstd inflater does not
 * emit 'error' on corrupt data: it throws from a later tick, which would end
 * the process with a stack trace. So its input goes in one chunk at a time,
 * the next only once the last was inflated, and while a chunk is in the
 * inflater a listener for uncaught errors takes its zstd error and turns it
 * into this stream's error. Nothing is in flight once the stream has ended,
 * failed or was cancelled, and the listener is gone by then.
 */

/** Input slices: what one slice inflates to is what a bomb may hold at once. */
const SLICE = 16 << 10;

const isZstdError = (e: unknown) =>
  e instanceof Error && e.message.startsWith("Zstd decompress error");

export async function zstdStream(
  input: ReadableStream<Uint8Array>,
): Promise<ReadableStream<Uint8Array>> {
  const { default: zlib } = await import("node:zlib");
  const inflate = zlib.createZstdDecompress();
  const reader = input.getReader();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let over = false;
  /** Resolves the chunk in the inflater, when one is. */
  let inFlight: (() => void) | undefined;

  const uncaught = (e: ErrorEvent) => {
    if (inFlight === undefined || !isZstdError(e.error)) return;
    e.preventDefault();
    fail(e.error);
  };
  globalThis.addEventListener("error", uncaught);
  const finish = () => {
    over = true;
    globalThis.removeEventListener("error", uncaught);
    inflate.destroy();
    reader.cancel().catch(() => {});
  };
  function fail(e: Error) {
    if (!over) controller.error(e);
    over = true;
    const resume = inFlight;
    inFlight = undefined;
    if (resume) resume(); // the feed loop sees `over` and finishes
    else finish();
  }
  /** Runs `step` (a write or the end) and waits until the inflater is done with it. */
  const inflated = (step: (done: () => void) => void) =>
    new Promise<void>((ok) => {
      inFlight = ok;
      step(() => {
        inFlight = undefined;
        ok();
      });
    });

  const feed = async () => {
    for (;;) {
      const got = over ? { done: true as const } : await reader.read();
      if (over) break;
      if (got.done) {
        // flushed; 'end' follows once the reader took the rest, and finishes
        await inflated((done) => inflate.end(done));
        if (!over) return;
        break;
      }
      for (let at = 0; at < got.value.length && !over; at += SLICE) {
        await inflated((done) => inflate.write(got.value.subarray(at, at + SLICE), done));
        // Paused: the reader has enough; pull() resumes.
        while (!over && inflate.isPaused()) await new Promise((ok) => inflate.once("resume", ok));
      }
    }
    finish();
  };

  return new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
      inflate.on("data", (b: Uint8Array) => {
        if (over) return;
        controller.enqueue(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
        if ((controller.desiredSize ?? 0) <= 0) inflate.pause();
      });
      inflate.on("end", () => {
        if (!over) controller.close();
        finish();
      });
      inflate.on("error", (e: Error) => fail(e));
      feed().catch((e) => fail(e instanceof Error ? e : new Error(String(e))));
    },
    pull() {
      inflate.resume();
    },
    cancel() {
      over = true;
      if (inFlight === undefined) finish(); // else the feed loop finishes after the chunk
      inflate.resume();
    },
  });
}
