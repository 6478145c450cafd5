import net from "node:net";
import tls from "node:tls";
import type { ISocketFactory } from "kafkajs";

const KEEP_ALIVE_DELAY_MS = 60_000;

/**
 * kafkajs' default socket factory plus TCP_NODELAY. kafkajs leaves Nagle's algorithm on,
 * so a small request written while an earlier one is unacknowledged (a commit after a
 * fetch, the next produce) can wait for the broker's delayed ACK (up to 40 ms on Linux).
 * Pass it as `socketFactory` to every `new Kafka(...)`.
 */
export const noDelaySocketFactory: ISocketFactory = ({ host, port, ssl, onConnect }) => {
  const socket = ssl
    ? tls.connect({ host, port, ...(net.isIP(host) ? {} : { servername: host }), ...(ssl as tls.ConnectionOptions) }, onConnect)
    : net.connect({ host, port, noDelay: true }, onConnect);
  socket.setNoDelay(true);
  socket.setKeepAlive(true, KEEP_ALIVE_DELAY_MS);
  return socket;
};
