/** Socket types and states in `show`'s words, shared by the socket fd types. */

export const SOCK_TYPE: Readonly<Record<number, string>> = {
  1: "stream",
  2: "dgram",
  3: "raw",
  5: "seqpacket",
};

export const TCP_STATE: Readonly<Record<number, string>> = {
  1: "established",
  2: "syn-sent",
  3: "syn-recv",
  4: "fin-wait1",
  5: "fin-wait2",
  6: "time-wait",
  7: "close",
  8: "close-wait",
  9: "last-ack",
  10: "listen",
  11: "closing",
};
