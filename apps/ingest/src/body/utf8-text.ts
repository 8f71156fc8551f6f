const utf8 = new TextDecoder('utf-8');

/** The text of bytes already checked to be UTF-8, without the byte order mark editors add. */
export function utf8Text(bytes: Uint8Array): string {
  return utf8.decode(bytes);
}
