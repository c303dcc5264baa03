// Runs in the client namespace: sends N bytes to [address]:port, half-closes, prints the answer.
import { connect } from "node:net";

const [address = "", portText = "8080", bytesText = "1048576", timeoutText = "10000"] =
  process.argv.slice(2);
const socket = connect({ host: address, port: Number(portText) });
const timer = setTimeout(() => {
  console.error("timeout");
  process.exit(3);
}, Number(timeoutText));
let answer = "";
socket.on("connect", () => {
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  let left = Number(bytesText);
  const pump = () => {
    while (left > 0) {
      const piece = chunk.subarray(0, Math.min(chunk.length, left));
      left -= piece.length;
      if (!socket.write(piece)) {
        socket.once("drain", pump);
        return;
      }
    }
    socket.end();
  };
  pump();
});
socket.on("data", (data: Buffer) => {
  answer += data.toString();
});
socket.on("end", () => {
  clearTimeout(timer);
  process.stdout.write(answer);
});
socket.on("error", (error) => {
  clearTimeout(timer);
  console.error(error.message);
  process.exit(2);
});
