/**
 * Reads the fixed header of each MQTT packet as the bytes stream in (MQTT 5.0 §2.1: one
 * byte of type and flags, then the remaining length in 1 to 4 bytes) and says when a packet
 * would be larger than the limit, before its payload is buffered. mqtt-packet's parser
 * buffers a whole packet before looking at it, whatever its size (a 50 MB PUBLISH once held
 * ingest for minutes and exhausted its heap), so the size is judged here first.
 */
export class PacketSizeGuard {
  private state: 'type' | 'length' | 'body' = 'type';
  private length = 0;
  private multiplier = 1;
  private lengthBytes = 0;
  private remaining = 0;

  constructor(private readonly maxPacketBytes: number) {}

  /** The size of the first packet in `chunk` that is over the limit, or undefined. */
  check(chunk: Uint8Array): number | undefined {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.state === 'body') {
        const taken = Math.min(this.remaining, chunk.length - pos);
        this.remaining -= taken;
        pos += taken;
        if (this.remaining === 0) this.state = 'type';
        continue;
      }
      const byte = chunk[pos++]!;
      if (this.state === 'type') {
        this.state = 'length';
        this.length = 0;
        this.multiplier = 1;
        this.lengthBytes = 0;
        continue;
      }
      this.length += (byte & 0x7f) * this.multiplier;
      this.multiplier *= 128;
      this.lengthBytes += 1;
      // A fifth length byte is malformed; the parser refuses it, the guard only measures.
      if (byte & 0x80 && this.lengthBytes < 4) continue;
      const size = 1 + this.lengthBytes + this.length;
      if (size > this.maxPacketBytes) return size;
      this.remaining = this.length;
      this.state = this.length === 0 ? 'type' : 'body';
    }
    return undefined;
  }
}
