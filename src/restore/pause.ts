/**
 * Waiting in a restore without Deno's timers. The first setTimeout of a Deno
 * 2.9 process loads its timer code: ~5 ms quiet, 20–60 ms measured on a busy
 * 2-core machine, as much as a `-d` restore of 3,000 fds spends opening them.
 *
 * @module
 */

/**
 * One turn of the event loop through a message port (an async op, like a
 * signal's): signal listeners that are due run. Each 0 ms timer would wait ~2 ms.
 */
export function loopTurn(): Promise<void> {
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = () => {
      port1.close();
      resolve();
    };
    port2.postMessage(0);
  });
}

/**
 * Sleeps `ms` (the thread blocks: a signal caught meanwhile is queued by the
 * runtime), then turns the event loop once so its listeners run.
 */
export async function pause(ms: number): Promise<void> {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  await loopTurn();
}
