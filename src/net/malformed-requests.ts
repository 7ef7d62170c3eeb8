import { STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { PROBLEM_CONTENT_TYPE, problemBody } from './problem.js';

/** What node:http's parser error codes mean for the client: status, problem slug, detail. */
function describe(code: string | undefined): [number, string, string] {
  if (code === 'HPE_HEADER_OVERFLOW') return [431, 'headers-too-large', 'The request line and headers are larger than this server accepts'];
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT' || code === 'ERR_HTTP_HEADERS_TIMEOUT') return [408, 'request-timeout', 'The request did not arrive in time'];
  return [400, 'malformed-request', 'The request is not well-formed HTTP (request line or header fields)'];
}

/**
 * Requests that node:http refuses before the app sees them (a malformed request line, control
 * characters in a header, headers over the size limit) get problem+json like every other error,
 * instead of Node's bare "400 Bad Request" without a body. Used by AgentKit and by the SDK's
 * task endpoint; the answer is written to the socket, as there is no request to answer through.
 */
export function answerMalformedRequests(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const [status, slug, detail] = describe(err.code);
    const title = STATUS_CODES[status] ?? 'Bad Request';
    const body = JSON.stringify(problemBody(status, detail, { slug, title }));
    socket.end(`HTTP/1.1 ${status} ${title}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });
}
