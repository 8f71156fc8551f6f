/** Socket errors a broker connection meets, as a status should read them. */
const SOCKET_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found (DNS lookup failed)',
  ETIMEDOUT: 'connection timed out',
  ECONNRESET: 'connection reset by the broker',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EPIPE: 'connection closed by the broker',
};

/** amqplib's rendering of a close frame: `403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - ..."`. */
const CLOSE_MESSAGE = /with message "([A-Z_]+) - ([^"]*)"/;

/**
 * A broker error as a connector's status shows it: the AMQP reply code and text
 * (`NOT_FOUND: no queue 'q' in vhost 'v'`), a socket error in words (`connection refused`),
 * never the password (amqplib errors carry none; the URL is shown as host:port only).
 */
export function describeAmqpError(error: unknown): string {
  const err = error as Error & { code?: string | number };
  if (typeof err.code === 'string' && SOCKET_ERRORS[err.code]) return SOCKET_ERRORS[err.code]!;
  const message = String(err?.message ?? error);
  const close = CLOSE_MESSAGE.exec(message);
  if (close) {
    const [, code, text] = close;
    if (code === 'ACCESS_REFUSED' && /Login was refused/.test(text!))
      return 'ACCESS_REFUSED: wrong credentials (login refused)';
    // RabbitMQ appends a pointer to its log file, which says nothing to a tenant.
    return `${code}: ${text!.replace(/\s*For details see the broker logfile\.?$/, '')}`;
  }
  if (/Heartbeat timeout/i.test(message)) return 'the broker stopped answering (heartbeat timeout)';
  if (/Socket closed abruptly|Unexpected close/i.test(message))
    return 'connection closed by the broker';
  return message;
}
