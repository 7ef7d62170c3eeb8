import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Where a server listens: its base URL and port. */
export interface Listening {
  /** e.g. `http://127.0.0.1:8080`; a wildcard interface is shown as 127.0.0.1, IPv6 hosts in brackets. */
  url: string;
  port: number;
}

/** The base URL of `host:port` as a client on this machine reaches it. */
export function localUrl(host: string, port: number): string {
  const h = host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host;
  return `http://${h.includes(':') ? `[${h}]` : h}:${port}`;
}

/** Starts `server` on `host:port` (port 0: a free one); rejects when it cannot bind. */
export function listen(server: Server, port: number, host: string): Promise<Listening> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const bound = (server.address() as AddressInfo).port;
      resolve({ url: localUrl(host, bound), port: bound });
    });
  });
}
