import type { StoredIncident } from './incidentStore';
import { parseTimestamp } from './timestamp';

/** A filterable property: timestamps compare at 100 ns precision; strings (enums, UPNs) compare case-insensitively. */
export type FilterField =
  | { kind: 'datetime'; ticks: (row: StoredIncident) => bigint }
  | { kind: 'string'; value: (row: StoredIncident) => string | null };

export type FilterFields = Readonly<Record<string, FilterField>>;
export type IncidentPredicate = (row: StoredIncident) => boolean;

/** A `$filter` the service would reject with 400. */
export class FilterError extends Error {
  override readonly name = 'FilterError';
}

const COMPARISONS = ['eq', 'ne', 'gt', 'ge', 'lt', 'le'] as const;
type Comparison = (typeof COMPARISONS)[number];
const TOKEN_PATTERN = /\s*(\(|\)|'(?:[^']|'')*'|[^\s()']+)\s*/y;

/** Parses an OData `$filter` (comparisons combined with and/or, parentheses) over the given properties. */
export function parseFilter(text: string, fields: FilterFields, typeName: string): IncidentPredicate {
  const tokens = tokenize(text);
  let position = 0;
  const peek = (): string | undefined => tokens[position];
  const take = (): string => {
    const token = tokens[position++];
    if (token === undefined) throw new FilterError(`Syntax error: the $filter '${text}' ended unexpectedly.`);
    return token;
  };

  const parseOr = (): IncidentPredicate => {
    let left = parseAnd();
    while (peek()?.toLowerCase() === 'or') {
      take();
      const [first, second] = [left, parseAnd()];
      left = (row) => first(row) || second(row);
    }
    return left;
  };
  const parseAnd = (): IncidentPredicate => {
    let left = parsePrimary();
    while (peek()?.toLowerCase() === 'and') {
      take();
      const [first, second] = [left, parsePrimary()];
      left = (row) => first(row) && second(row);
    }
    return left;
  };
  const parsePrimary = (): IncidentPredicate => {
    if (peek() === '(') {
      take();
      const inner = parseOr();
      if (take() !== ')') throw new FilterError(`Syntax error: ')' expected in $filter '${text}'.`);
      return inner;
    }
    return parseComparison(take(), take(), take(), fields, typeName);
  };

  const predicate = parseOr();
  if (position !== tokens.length) throw new FilterError(`Syntax error at position ${position} in $filter '${text}'.`);
  return predicate;
}

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  let index = 0;
  while (index < text.length) {
    TOKEN_PATTERN.lastIndex = index;
    const token = TOKEN_PATTERN.exec(text)?.[1];
    if (token === undefined) throw new FilterError(`Syntax error at position ${index} in $filter '${text}'.`);
    tokens.push(token);
    index = TOKEN_PATTERN.lastIndex;
  }
  if (tokens.length === 0) throw new FilterError('The $filter is empty.');
  return tokens;
}

function isComparison(token: string): token is Comparison {
  return (COMPARISONS as readonly string[]).includes(token);
}

function compare(order: number, op: Comparison): boolean {
  switch (op) {
    case 'eq':
      return order === 0;
    case 'ne':
      return order !== 0;
    case 'gt':
      return order > 0;
    case 'ge':
      return order >= 0;
    case 'lt':
      return order < 0;
    case 'le':
      return order <= 0;
  }
}

function parseComparison(
  name: string,
  opToken: string,
  literal: string,
  fields: FilterFields,
  typeName: string,
): IncidentPredicate {
  const field = Object.prototype.hasOwnProperty.call(fields, name) ? fields[name] : undefined;
  if (field === undefined) throw new FilterError(`Could not find a property named '${name}' on type '${typeName}'.`);
  const op = opToken.toLowerCase();
  if (!isComparison(op)) throw new FilterError(`Syntax error: unknown operator '${opToken}'.`);
  if (field.kind === 'datetime') {
    const expected = parseTimestamp(literal);
    if (expected === undefined)
      throw new FilterError(`The literal '${literal}' is not a valid Edm.DateTimeOffset for property '${name}'.`);
    return (row) => {
      const actual = field.ticks(row);
      return compare(actual === expected ? 0 : actual > expected ? 1 : -1, op);
    };
  }
  if (op !== 'eq' && op !== 'ne')
    throw new FilterError(`The operator '${op}' is not supported for property '${name}'.`);
  const expected = literal === 'null' ? null : parseStringLiteral(literal, name);
  return (row) => {
    const actual = field.value(row);
    const equal =
      actual === null || expected === null ? actual === expected : actual.toLowerCase() === expected.toLowerCase();
    return compare(equal ? 0 : 1, op);
  };
}

function parseStringLiteral(literal: string, name: string): string {
  if (literal.length < 2 || !literal.startsWith("'") || !literal.endsWith("'")) {
    throw new FilterError(`A string literal is expected for property '${name}', found '${literal}'.`);
  }
  return literal.slice(1, -1).replace(/''/g, "'");
}
