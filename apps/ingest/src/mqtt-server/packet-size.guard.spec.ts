import mqttPacket from 'mqtt-packet';
import { PacketSizeGuard } from './packet-size.guard';

const publish = (bytes: number): Buffer =>
  mqttPacket.generate({
    cmd: 'publish',
    topic: 't',
    payload: Buffer.alloc(bytes, 0x78),
    qos: 0,
    dup: false,
    retain: false,
  });

describe('PacketSizeGuard', () => {
  it('passes packets up to the limit, whole or split anywhere', () => {
    const packets = Buffer.concat([publish(10), publish(1_000), publish(20_000)]);
    expect(packets.length).toBeGreaterThan(20_000);
    for (const step of [1, 2, 7, 4096, packets.length]) {
      const guard = new PacketSizeGuard(20_010);
      const seen = new Set<number | undefined>();
      for (let i = 0; i < packets.length; i += step)
        seen.add(guard.check(packets.subarray(i, i + step)));
      expect([...seen]).toEqual([undefined]);
    }
  });

  it('names an over-size packet from its header, before its payload arrives', () => {
    const packet = publish(50 * 1024 * 1024);
    const guard = new PacketSizeGuard(1024 * 1024);
    expect(guard.check(publish(5))).toBeUndefined();
    // The fixed header and the remaining length are enough.
    expect(guard.check(packet.subarray(0, 5))).toBe(packet.length);
  });

  it('reads a length split over chunks, one byte at a time', () => {
    const packet = publish(3_000_000);
    const guard = new PacketSizeGuard(2_000_000);
    const results = [0, 1, 2, 3, 4].map((i) => guard.check(packet.subarray(i, i + 1)));
    expect(results).toContain(packet.length);
  });
});
