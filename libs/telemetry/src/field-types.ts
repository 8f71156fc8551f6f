import type { FieldType, Point } from './point';

/** A field's type as InfluxDB names it (`SHOW FIELD KEYS`, its conflict messages). */
export type StoredFieldType = 'float' | 'integer' | 'unsigned' | 'string' | 'boolean';

export const STORED_FIELD_TYPES: readonly StoredFieldType[] = [
  'float',
  'integer',
  'unsigned',
  'string',
  'boolean',
];

/** The type a value of `type` is stored as; unsigned values become integers when so configured. */
export function storedFieldType(type: FieldType, unsignedAsInteger: boolean): StoredFieldType {
  if (type === 'uinteger') return unsignedAsInteger ? 'integer' : 'unsigned';
  return type;
}

/** What the store already holds: the type of each field of a measurement, if known. */
export interface FieldTypeLookup {
  typeOf(measurement: string, field: string): StoredFieldType | undefined;
}

/** InfluxDB's own words for a field-type conflict, so its clients see the reason they know. */
export function fieldTypeConflict(
  measurement: string,
  field: string,
  input: StoredFieldType,
  existing: StoredFieldType,
): string {
  return `field type conflict: input field "${field}" on measurement "${measurement}" is type ${input}, already exists as type ${existing}`;
}

/**
 * The field types one request must agree with: those the store holds, then those earlier
 * lines of the same request introduced (the first line to use a field fixes its type, as in
 * InfluxDB). A line is checked whole first and recorded only when accepted, so a refused
 * line introduces nothing.
 */
export class RequestFieldTypes {
  private readonly introduced = new Map<string, Map<string, StoredFieldType>>();

  constructor(private readonly stored: FieldTypeLookup) {}

  typeOf(measurement: string, field: string): StoredFieldType | undefined {
    return this.stored.typeOf(measurement, field) ?? this.introduced.get(measurement)?.get(field);
  }

  /** The conflict message when a field of this type cannot be written, else undefined. */
  conflict(measurement: string, field: string, type: StoredFieldType): string | undefined {
    const existing = this.typeOf(measurement, field);
    return existing === undefined || existing === type
      ? undefined
      : fieldTypeConflict(measurement, field, type, existing);
  }

  /** Records a field of an accepted line. */
  record(measurement: string, field: string, type: StoredFieldType): void {
    if (this.stored.typeOf(measurement, field) !== undefined) return;
    let fields = this.introduced.get(measurement);
    if (!fields) {
      fields = new Map();
      this.introduced.set(measurement, fields);
    }
    if (!fields.has(field)) fields.set(field, type);
  }

  /** Fields the request uses that the store did not know, by measurement: to be registered. */
  newFields(): ReadonlyMap<string, ReadonlyMap<string, StoredFieldType>> {
    return this.introduced;
  }
}

/** Checks a whole line's fields, then records them; returns the first conflict, if any. */
export function checkFieldTypes(
  fieldTypes: RequestFieldTypes,
  measurement: string,
  fields: readonly (readonly [string, StoredFieldType])[],
): string | undefined {
  for (const [field, type] of fields) {
    const conflict = fieldTypes.conflict(measurement, field, type);
    if (conflict !== undefined) return conflict;
  }
  for (const [field, type] of fields) fieldTypes.record(measurement, field, type);
  return undefined;
}

/** An index of a batch of points, and why the point there was refused. */
export interface PointFieldTypeError {
  index: number;
  detail: string;
}

/** Checks points parsed from JSON, CSV or protobuf, in order, as lines of one request. */
export function checkPointFieldTypes(
  points: readonly Point[],
  fieldTypes: RequestFieldTypes,
  unsignedAsInteger: boolean,
): PointFieldTypeError[] {
  const errors: PointFieldTypeError[] = [];
  points.forEach((point, index) => {
    const conflict = checkFieldTypes(
      fieldTypes,
      point.measurement,
      Object.entries(point.fields).map(
        ([key, field]) => [key, storedFieldType(field.type, unsignedAsInteger)] as const,
      ),
    );
    if (conflict !== undefined) errors.push({ index, detail: conflict });
  });
  return errors;
}
