/** signalfds (SIGNALFD): the signals of a mask. */
import { FD_TYPE } from "../model/mod.ts";
import type { FdTypeDescriptor } from "./descriptor.ts";

export const signalfdType: FdTypeDescriptor<typeof FD_TYPE.SIGNALFD> = {
  type: FD_TYPE.SIGNALFD,
  field: "sgfd",
  kinds: ["signalfd"],
  describe: (_cp, file, flags) => {
    const signals = maskSignals(file.payload.sigmask);
    return {
      kind: "signalfd",
      what: `signalfd [${signals.join(",")}]`,
      flags,
      details: { signals: signals.map(String) },
    };
  },
};

/** Signal numbers set in a sigmask (bit n-1 = signal n). */
function maskSignals(mask: bigint): number[] {
  const out: number[] = [];
  for (let n = 1; n <= 64; n++) if ((mask >> BigInt(n - 1)) & 1n) out.push(n);
  return out;
}
