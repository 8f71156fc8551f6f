const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|([+-])(\d{2}):(\d{2}))$/;

/**
 * An RFC 3339 date-time as nanoseconds since the epoch, keeping all nine fraction digits
 * (Date.parse stops at milliseconds). Undefined when the text is not a valid date-time.
 */
export function parseRfc3339Nanoseconds(text: string): bigint | undefined {
  const match = RFC3339.exec(text);
  if (!match) return undefined;
  const [
    ,
    year,
    month,
    day,
    hour,
    minute,
    second,
    fraction = '',
    zone,
    sign,
    offsetHours,
    offsetMinutes,
  ] = match;
  const y = Number(year);
  const mo = Number(month);
  const d = Number(day);
  const h = Number(hour);
  const mi = Number(minute);
  const s = Number(second);
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 59)
    return undefined;
  // Date.UTC reads years 0-99 as 1900-1999; setUTCFullYear takes the year as written.
  const date = new Date(Date.UTC(2000, 0, 1, h, mi, s));
  date.setUTCFullYear(y, mo - 1, d);
  const epochMs = date.getTime();
  let nanos = BigInt(epochMs) * 1_000_000n + BigInt(fraction.padEnd(9, '0'));
  if (zone !== 'Z' && zone !== 'z') {
    const offsetMinutesTotal = Number(offsetHours) * 60 + Number(offsetMinutes);
    if (Number(offsetHours) > 23 || Number(offsetMinutes) > 59) return undefined;
    const offsetNanos = BigInt(offsetMinutesTotal) * 60_000_000_000n;
    nanos = sign === '+' ? nanos - offsetNanos : nanos + offsetNanos;
  }
  return nanos;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Nanoseconds since the epoch as RFC 3339 in UTC with all nine fraction digits. */
export function formatRfc3339Nanoseconds(nanos: bigint): string {
  const millis = nanos / 1_000_000n - (nanos % 1_000_000n < 0n ? 1n : 0n);
  const subMillis = nanos - millis * 1_000_000n;
  const iso = new Date(Number(millis)).toISOString(); // 2026-01-02T03:04:05.678Z
  return `${iso.slice(0, 23)}${subMillis.toString().padStart(6, '0')}Z`;
}
