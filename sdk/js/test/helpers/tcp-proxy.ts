/**
 * A TCP relay on 127.0.0.1:0 in front of a ctid server, so that a test can
 * cut every connection the way a lost network does (no close frame), and
 * point new connections at another server.
 */
import { createConnection, createServer, type Server, type Socket } from "node:net";

export class TcpProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #target: { host: string; port: number };
  /** While true, new connections are cut at once (the server is out of reach). */
  refusing = false;

  private constructor(server: Server, target: { host: string; port: number }) {
    this.#server = server;
    this.#target = target;
  }

  /** A relay to the ctid server at `url` (ws://host:port/...). */
  static async start(url: string): Promise<TcpProxy> {
    let proxy: TcpProxy | undefined;
    const server = createServer((client) => proxy!.#relay(client));
    proxy = new TcpProxy(server, TcpProxy.#parse(url));
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    return proxy;
  }

  static #parse(url: string): { host: string; port: number } {
    const { hostname, port } = new URL(url);
    return { host: hostname, port: Number(port) };
  }

  /** The ws:// URL of the relay, with the path of `url`. */
  url(url: string): string {
    const address = this.#server.address();
    if (address === null || typeof address === "string") throw new Error("the relay is not listening");
    return `ws://127.0.0.1:${address.port}${new URL(url).pathname}`;
  }

  /** Send new connections to the server at `url` from now on. */
  retarget(url: string): void {
    this.#target = TcpProxy.#parse(url);
  }

  /** Cut every connection at once, as a lost network does. */
  cutAll(): void {
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
  }

  async stop(): Promise<void> {
    this.cutAll();
    await new Promise<void>((done) => this.#server.close(() => done()));
  }

  #relay(client: Socket): void {
    if (this.refusing) {
      client.destroy();
      return;
    }
    const upstream = createConnection(this.#target);
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.#sockets.add(a);
      a.on("data", (chunk) => b.write(chunk));
      a.on("close", () => b.destroy());
      a.on("error", () => b.destroy());
    }
  }
}
