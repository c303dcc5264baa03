// Transfers whose content is checked end to end, for the NAT64 paths in the lab.
//   serve <port>                       (target) TCP and UDP on <port>
//   tcp-up|tcp-down|udp-up|udp-down <host> <port> <bytes>   (client) prints one JSON line
// TCP up: the client sends <bytes> random bytes, the server answers their SHA-256. TCP down:
// the server sends <bytes> random bytes and then their SHA-256. UDP (datagrams of 1200 bytes,
// each carrying its index): the receiver asks for the indexes it is missing over the TCP
// connection, a bounded number of rounds, then both compare the SHA-256 of the whole.
// Every wait is bounded; nothing here retries forever.
import { createHash, randomBytes } from "node:crypto";
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { connect, createServer, type Socket } from "node:net";

const BLOCK = 1200;
const ROUNDS = 40;
const sha = (data: Buffer) => createHash("sha256").update(data).digest("hex");

/** Reads newline-terminated JSON messages from a socket. */
function lines(socket: Socket, onLine: (message: Record<string, unknown>) => void): void {
  let buffered = "";
  socket.on("data", (chunk: Buffer) => {
    buffered += chunk.toString();
    for (let end = buffered.indexOf("\n"); end >= 0; end = buffered.indexOf("\n")) {
      onLine(JSON.parse(buffered.slice(0, end)) as Record<string, unknown>);
      buffered = buffered.slice(end + 1);
    }
  });
}

const send = (socket: Socket, message: Record<string, unknown>) =>
  socket.write(`${JSON.stringify(message)}\n`);

function datagram(data: Buffer, index: number): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(index);
  return Buffer.concat([head, data.subarray(index * BLOCK, (index + 1) * BLOCK)]);
}

/** Sends the given blocks, a burst per event-loop turn so the socket buffer never overflows. */
async function blast(
  udp: UdpSocket,
  data: Buffer,
  indexes: readonly number[],
  to: { port: number; address: string },
) {
  for (let start = 0; start < indexes.length; start += 32) {
    await Promise.all(
      indexes
        .slice(start, start + 32)
        .map(
          (index) =>
            new Promise<void>((resolve) =>
              udp.send(datagram(data, index), to.port, to.address, () => resolve()),
            ),
        ),
    );
    await new Promise((resolve) => setImmediate(resolve));
  }
}

class Assembly {
  readonly data: Buffer;
  readonly have: boolean[];
  constructor(bytes: number) {
    this.data = Buffer.alloc(bytes);
    this.have = Array(Math.ceil(bytes / BLOCK)).fill(false);
  }
  take(message: Buffer): void {
    const index = message.readUInt32BE(0);
    if (index >= this.have.length) return;
    message.copy(this.data, index * BLOCK, 4);
    this.have[index] = true;
  }
  missing(): number[] {
    return this.have.flatMap((have, index) => (have ? [] : [index]));
  }
}

function serve(port: number): void {
  const udp = createSocket("udp4");
  let assembly: Assembly | undefined;
  let peer: { port: number; address: string } | undefined;
  udp.on("message", (message, remote) => {
    if (message.length === 4 && message.readUInt32BE(0) === 0xffffffff) peer = remote;
    else if (message.toString("latin1", 0, 5) === "echo:")
      udp.send(message, remote.port, remote.address);
    else assembly?.take(message);
  });
  udp.bind(port, "0.0.0.0");
  createServer((socket) => {
    socket.on("error", () => {});
    let mode = "";
    let expected = 0;
    let hash = createHash("sha256");
    let received = 0;
    let downData: Buffer | undefined;
    socket.once("data", (first: Buffer) => {
      const end = first.indexOf("\n");
      const request = JSON.parse(first.subarray(0, end).toString()) as {
        mode: string;
        bytes: number;
      };
      mode = request.mode;
      expected = request.bytes;
      const rest = first.subarray(end + 1);
      if (mode === "tcp-up") {
        const onData = (chunk: Buffer) => {
          hash.update(chunk);
          received += chunk.length;
          if (received >= expected) {
            socket.off("data", onData);
            socket.end(`${JSON.stringify({ sha256: hash.digest("hex"), bytes: received })}\n`);
            hash = createHash("sha256");
          }
        };
        socket.on("data", onData);
        if (rest.length) onData(rest);
      } else if (mode === "tcp-down") {
        const data = randomBytes(expected);
        socket.write(data);
        socket.end(`\n${sha(data)}`);
      } else if (mode === "udp-up") {
        assembly = new Assembly(expected);
        send(socket, { ready: true });
        lines(socket, (message) => {
          if (message.round !== undefined && assembly) {
            const missing = assembly.missing();
            send(socket, missing.length ? { missing } : { sha256: sha(assembly.data) });
          }
        });
      } else if (mode === "udp-down") {
        downData = randomBytes(expected);
        send(socket, { ready: true });
        lines(socket, (message) => {
          if (!downData) return;
          if (!peer) {
            send(socket, { noPeer: true });
            return;
          }
          const indexes = (message.missing as number[] | undefined) ?? [];
          if (message.sha256) socket.end();
          else
            void blast(udp, downData, indexes, peer).then(() =>
              send(socket, { sent: indexes.length, sha256: sha(downData ?? Buffer.alloc(0)) }),
            );
        });
      }
    });
  }).listen(port, "0.0.0.0", () => console.log(`listening ${port}`));
}

async function client(
  mode: string,
  host: string,
  port: number,
  bytes: number,
): Promise<Record<string, unknown>> {
  const socket = connect({ host, port });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  socket.write(`${JSON.stringify({ mode, bytes })}\n`);
  if (mode === "tcp-up") {
    const data = randomBytes(bytes);
    socket.write(data);
    const reply = await new Promise<string>((resolve) => {
      let text = "";
      socket.on("data", (chunk: Buffer) => {
        text += chunk.toString();
      });
      socket.on("end", () => resolve(text));
    });
    const remote = JSON.parse(reply) as { sha256: string; bytes: number };
    return { sent: bytes, received: remote.bytes, ok: remote.sha256 === sha(data) };
  }
  if (mode === "tcp-down") {
    const chunks: Buffer[] = [];
    await new Promise<void>((resolve) => {
      socket.on("data", (chunk: Buffer) => chunks.push(chunk));
      socket.on("end", resolve);
    });
    const all = Buffer.concat(chunks);
    const data = all.subarray(0, all.length - 65);
    const digest = all.subarray(all.length - 64).toString();
    return { received: data.length, ok: data.length === bytes && sha(data) === digest };
  }
  const udp = createSocket("udp6");
  await new Promise<void>((resolve) => udp.bind(0, resolve));
  const replies: Record<string, unknown>[] = [];
  let wake: (() => void) | undefined;
  lines(socket, (message) => {
    replies.push(message);
    wake?.();
  });
  const next = async () => {
    const deadline = Date.now() + 30_000;
    while (!replies.length) {
      if (Date.now() > deadline) throw new Error("no answer from the server within 30 s");
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 500);
      });
    }
    return replies.shift() ?? {};
  };
  await next();
  if (mode === "udp-up") {
    const data = randomBytes(bytes);
    let indexes = [...Array(Math.ceil(bytes / BLOCK)).keys()];
    for (let round = 0; round < ROUNDS; round++) {
      await blast(udp, data, indexes, { port, address: host });
      await new Promise((resolve) => setTimeout(resolve, 100));
      send(socket, { round });
      const answer = await next();
      if (answer.sha256) {
        socket.end();
        udp.close();
        return { sent: bytes, rounds: round + 1, ok: answer.sha256 === sha(data) };
      }
      indexes = answer.missing as number[];
    }
    throw new Error(`udp-up: still missing blocks after ${ROUNDS} rounds`);
  }
  // udp-down: first tell the server where we are (through the NAT), then ask for what is missing.
  const assembly = new Assembly(bytes);
  udp.on("message", (message) => assembly.take(message));
  const hello = Buffer.alloc(4);
  hello.writeUInt32BE(0xffffffff);
  for (let round = 0; round < ROUNDS; round++) {
    await new Promise<void>((resolve) => udp.send(hello, port, host, () => resolve()));
    await new Promise((resolve) => setTimeout(resolve, 50));
    send(socket, { missing: assembly.missing() });
    const answer = await next();
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (assembly.missing().length === 0) {
      send(socket, { sha256: sha(assembly.data) });
      udp.close();
      return { received: bytes, rounds: round + 1, ok: answer.sha256 === sha(assembly.data) };
    }
  }
  throw new Error(`udp-down: still missing blocks after ${ROUNDS} rounds`);
}

/** A UDP datagram bigger than the MTU, echoed back: fragments both ways. */
async function udpEcho(
  host: string,
  port: number,
  bytes: number,
): Promise<Record<string, unknown>> {
  const udp = createSocket("udp6");
  const payload = Buffer.concat([Buffer.from("echo:"), randomBytes(bytes - 5)]);
  const reply = await new Promise<Buffer>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no echo within 5 s")), 5000);
    udp.on("message", (message) => {
      clearTimeout(timer);
      resolve(message);
    });
    udp.send(payload, port, host);
  });
  udp.close();
  return { sent: bytes, received: reply.length, ok: reply.equals(payload) };
}

/** A datagram to a closed port: the target's ICMP port unreachable comes back translated. */
async function closedPort(host: string, port: number): Promise<Record<string, unknown>> {
  const udp = createSocket("udp6");
  await new Promise<void>((resolve) => udp.connect(port, host, resolve));
  const outcome = await new Promise<string>((resolve) => {
    const timer = setTimeout(() => resolve("timeout"), 5000);
    udp.on("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(error.code ?? error.message);
    });
    udp.on("message", () => resolve("answered"));
    udp.send("anyone?");
    // The error is reported on the socket's next operation after the ICMP arrives.
    setTimeout(() => udp.send("anyone?"), 300);
  });
  udp.close();
  return { outcome };
}

const [command = "", host = "", portText = "", bytesText = "0"] = process.argv.slice(2);
const port = Number(command === "serve" ? host : portText);
const timer = setTimeout(() => {
  console.error("checksum-transfer: gave up after 120 s");
  process.exit(2);
}, 120_000);
if (command === "serve") {
  clearTimeout(timer);
  serve(port);
} else {
  const bytes = Number(bytesText);
  const result =
    command === "udp-echo"
      ? await udpEcho(host, port, bytes)
      : command === "closed-port"
        ? await closedPort(host, port)
        : await client(command, host, port, bytes);
  console.log(JSON.stringify(result));
  clearTimeout(timer);
  process.exit(0);
}
