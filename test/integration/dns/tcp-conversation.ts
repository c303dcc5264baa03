// A raw DNS-over-TCP connection for framing tests: write any bytes, collect the
// length-prefixed answers as they come, and know when the server closed it.
import { connect, type Socket } from "node:net";
import { takeFrames } from "./dns-client.ts";

export interface TcpConversation {
  readonly socket: Socket;
  /** Answers so far (messages without their length prefix). */
  received(): Buffer[];
  /** Resolves once `count` answers came, rejects after `timeoutMs`. */
  answers(count: number, timeoutMs?: number): Promise<Buffer[]>;
  /** Resolves when the server sent FIN or the connection closed. */
  readonly closed: Promise<void>;
}

export function tcpConversation(port: number, host = "127.0.0.1"): Promise<TcpConversation> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, allowHalfOpen: true });
    const answers: Buffer[] = [];
    let buffered: Buffer = Buffer.alloc(0);
    const waiters = new Set<() => void>();
    // allowHalfOpen: our side stays writable after the server's FIN, so "end" is the signal.
    const closed = new Promise<void>((done) => {
      socket.once("end", () => done());
      socket.once("close", () => done());
    });
    socket.on("error", () => {});
    socket.on("data", (chunk) => {
      buffered = takeFrames(Buffer.concat([buffered, chunk]), answers);
      for (const wake of waiters) wake();
    });
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.off("error", reject);
      resolve({
        socket,
        closed,
        received: () => [...answers],
        answers: (count, timeoutMs = 3000) =>
          new Promise((done, fail) => {
            const check = () => {
              if (answers.length < count) return;
              waiters.delete(check);
              clearTimeout(timer);
              done(answers.slice(0, count));
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              fail(new Error(`only ${answers.length}/${count} TCP answers in ${timeoutMs} ms`));
            }, timeoutMs);
            waiters.add(check);
            check();
          }),
      });
    });
  });
}
