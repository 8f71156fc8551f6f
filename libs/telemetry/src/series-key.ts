import { PointError } from './point.validation';

/**
 * InfluxDB 1.x refuses a point whose series key is too long (models.parsePoint, "max key
 * length exceeded"): the key as written (measurement and tags, escaped) plus "#!~#" plus a
 * field key may not exceed 65,535 bytes. A point within every other limit can still break
 * this one (64 tags of 256-byte keys and 1,024-byte values), so it is checked before the
 * acknowledgement.
 */
export const MAX_SERIES_KEY_BYTES = 65_535;
const FIELD_SEPARATOR_BYTES = 4;

/** Throws when a key of `keyBytes` with its longest field key is too long for InfluxDB. */
export function checkSeriesKeyBytes(keyBytes: number, longestFieldKeyBytes: number): void {
  const size = keyBytes + FIELD_SEPARATOR_BYTES + longestFieldKeyBytes;
  if (size > MAX_SERIES_KEY_BYTES) {
    throw new PointError(
      `the series key (measurement, tags and field key, escaped) is ${size} bytes; InfluxDB stores at most ${MAX_SERIES_KEY_BYTES}`,
    );
  }
}

/**
 * A string's UTF-8 length with line protocol escaping is at most 3 bytes per UTF-16 unit
 * (an escaped ASCII character takes 2, a surrogate pair 4 for 2 units): most points are
 * far below the limit by that bound and are never measured exactly.
 */
export const MAX_BYTES_PER_UNIT = 3;
