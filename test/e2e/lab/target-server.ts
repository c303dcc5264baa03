// Runs in the target namespace: a TCP sink on port 8080. For each connection it counts the bytes
// until the client half-closes, then answers {"peer": "<source address>", "bytes": N}.
import { createServer } from "node:net";

const port = Number(process.argv[2] ?? 8080);
const server = createServer((socket) => {
  let bytes = 0;
  socket.on("data", (chunk: Buffer) => {
    bytes += chunk.length;
  });
  socket.on("end", () => {
    socket.end(`${JSON.stringify({ peer: socket.remoteAddress, bytes })}\n`);
  });
  socket.on("error", () => {});
});
server.listen(port, "0.0.0.0", () => console.log(`listening ${port}`));
