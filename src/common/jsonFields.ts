/**
 * Reading fields of values we do not control (API replies, state blobs, SDK errors) without casts:
 * every accessor checks the shape and answers undefined when it does not fit.
 */
export function property(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? Reflect.get(value, key) : undefined;
}

export function stringProperty(value: unknown, key: string): string | undefined {
  const field = property(value, key);
  return typeof field === 'string' ? field : undefined;
}

export function numberProperty(value: unknown, key: string): number | undefined {
  const field = property(value, key);
  return typeof field === 'number' ? field : undefined;
}
