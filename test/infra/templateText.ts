/**
 * Reads the deployment templates as text and pulls out the parts the infra tests check. There is no Bicep compiler
 * on the build machine, so this is a small scanner that knows Bicep's strings and comments, not a parser.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'fs';
import { join, relative } from 'path';

export const repoRoot = join(__dirname, '..', '..');

/** Text of a file, by its path from the repository root. */
export function readRepoFile(pathFromRoot: string): string {
  return readFileSync(join(repoRoot, pathFromRoot), 'utf8');
}

/** Paths (from the repository root, with `/`) of the files under `dir` whose names end with one of `extensions`. */
export function listRepoFiles(dir: string, extensions: readonly string[]): string[] {
  const start = join(repoRoot, dir);
  if (!existsSync(start)) {
    return [];
  }
  const found: string[] = [];
  const walk = (current: string): void => {
    for (const entry of readdirSync(current)) {
      const full = join(current, entry);
      if (statSync(full).isDirectory()) {
        walk(full);
      } else if (extensions.some((extension) => entry.endsWith(extension))) {
        found.push(relative(repoRoot, full).split('\\').join('/'));
      }
    }
  };
  walk(start);
  return found.sort();
}

const OPENERS: Readonly<Record<string, string>> = { '(': ')', '[': ']', '{': '}' };
const CLOSERS = new Set([')', ']', '}']);

/**
 * Bicep text with comments blanked out (replaced by spaces, so indexes stay valid); strings are kept.
 * Strings are single-quoted with `\'` as the escape.
 */
export function stripComments(text: string): string {
  let result = '';
  let index = 0;
  while (index < text.length) {
    const char = text[index] ?? '';
    const next = text[index + 1] ?? '';
    if (char === "'") {
      const end = endOfString(text, index);
      result += text.slice(index, end);
      index = end;
    } else if (char === '/' && next === '/') {
      const end = text.indexOf('\n', index);
      const stop = end === -1 ? text.length : end;
      result += ' '.repeat(stop - index);
      index = stop;
    } else if (char === '/' && next === '*') {
      const end = text.indexOf('*/', index + 2);
      const stop = end === -1 ? text.length : end + 2;
      result += text.slice(index, stop).replace(/[^\n]/g, ' ');
      index = stop;
    } else {
      result += char;
      index += 1;
    }
  }
  return result;
}

/** Index just past the string literal that starts at `start` (a `'`). */
function endOfString(text: string, start: number): number {
  let index = start + 1;
  while (index < text.length) {
    const char = text[index];
    if (char === '\\') {
      index += 2;
    } else if (char === "'") {
      return index + 1;
    } else {
      index += 1;
    }
  }
  return text.length;
}

/**
 * The text between the bracket at `openIndex` and its matching closing bracket, skipping strings.
 * Expects comment-free text (see `stripComments`).
 */
export function balancedBlock(text: string, openIndex: number): string {
  const opener = text[openIndex] ?? '';
  if (!(opener in OPENERS)) {
    throw new Error(`Expected a bracket at index ${openIndex}, found '${opener}'`);
  }
  const stack: string[] = [];
  let index = openIndex;
  while (index < text.length) {
    const char = text[index] ?? '';
    if (char === "'") {
      index = endOfString(text, index);
      continue;
    }
    const closer = OPENERS[char];
    if (closer !== undefined) {
      stack.push(closer);
    } else if (CLOSERS.has(char)) {
      if (stack.pop() !== char) {
        throw new Error(`Unbalanced '${char}' at index ${index}`);
      }
      if (stack.length === 0) {
        return text.slice(openIndex + 1, index);
      }
    }
    index += 1;
  }
  throw new Error(`No closing bracket for '${opener}' at index ${openIndex}`);
}

/** The value expression of `property:` (an object, array or call), the first time it appears in `text`. */
export function propertyBlock(text: string, property: string): string | undefined {
  const match = new RegExp(`\\b${property}\\s*:\\s*`).exec(text);
  if (match === null) {
    return undefined;
  }
  const start = match.index + match[0].length;
  const rest = text.slice(start);
  const bracket = rest.search(/[([{]/);
  return bracket === -1 ? undefined : balancedBlock(text, start + bracket);
}

/**
 * The top-level `key: value` entries of an object literal's body (the text between its braces), value as written
 * (first line only for a multi-line value). Expects comment-free text (see `stripComments`).
 */
export function objectEntries(body: string): Map<string, string> {
  const entries = new Map<string, string>();
  let depth = 0;
  let index = 0;
  let lineStart = true;
  while (index < body.length) {
    const char = body[index] ?? '';
    if (lineStart && depth === 0) {
      const match = /^[ \t]*(\w+)[ \t]*:[ \t]*([^\n]*)/.exec(body.slice(index));
      if (match !== null) {
        entries.set(match[1] ?? '', (match[2] ?? '').trim());
      }
    }
    lineStart = false;
    if (char === "'") {
      index = endOfString(body, index);
      continue;
    }
    if (char in OPENERS) {
      depth += 1;
    } else if (CLOSERS.has(char)) {
      depth -= 1;
    } else if (char === '\n') {
      lineStart = true;
    }
    index += 1;
  }
  return entries;
}

/** The entries of an object variable, `var name = { ... }` (or `var name = cond ? { ... } : {}`: the first object). */
export function objectVariable(bicep: string, name: string): Map<string, string> {
  const text = stripComments(bicep);
  const match = new RegExp(`^var\\s+${name}\\s*=\\s*`, 'm').exec(text);
  if (match === null) {
    return new Map<string, string>();
  }
  const start = match.index + match[0].length;
  const brace = text.indexOf('{', start);
  return brace === -1 ? new Map<string, string>() : objectEntries(balancedBlock(text, brace));
}

/** A declaration (`resource` or `module`) with its body. */
export interface Declaration {
  readonly file: string;
  readonly symbol: string;
  /** Resource type with API version, or module path/registry reference. */
  readonly target: string;
  /** The `if (...)` condition text, when the declaration is conditional. */
  readonly condition: string | undefined;
  readonly body: string;
}

/** Every `resource` and `module` declaration of a Bicep file. */
export function declarations(file: string, bicep: string): Declaration[] {
  const text = stripComments(bicep);
  const found: Declaration[] = [];
  const pattern = /^\s*(?:resource|module)\s+(\w+)\s+'([^']+)'\s*(?:existing\s*)?=\s*/gm;
  for (const match of text.matchAll(pattern)) {
    const afterEquals = (match.index ?? 0) + match[0].length;
    const bodyStart = text.indexOf('{', afterEquals);
    const head = text.slice(afterEquals, bodyStart).trim();
    const condition = head.startsWith('if') ? head.slice(2).trim() : undefined;
    found.push({
      file,
      symbol: match[1] ?? '',
      target: match[2] ?? '',
      condition,
      body: balancedBlock(text, bodyStart),
    });
  }
  return found;
}

/** A `roleAssignments` resource, reduced to what the least-privilege checks need. */
export interface RoleAssignment {
  readonly file: string;
  readonly symbol: string;
  readonly conditional: boolean;
  /** The expression given to `name:`. */
  readonly nameExpression: string;
  /** Symbol of the resource the assignment is scoped to. */
  readonly scope: string;
  /** Variable holding the role definition id. */
  readonly roleVariable: string;
  /** Expression of the principal. */
  readonly principal: string;
}

/** The role assignments declared in a Bicep file. */
export function roleAssignments(file: string, bicep: string): RoleAssignment[] {
  return declarations(file, bicep)
    .filter((declaration) => declaration.target.startsWith('Microsoft.Authorization/roleAssignments@'))
    .map((declaration) => ({
      file,
      symbol: declaration.symbol,
      conditional: declaration.condition !== undefined,
      nameExpression: /^\s*name\s*:\s*(.+)$/m.exec(declaration.body)?.[1]?.trim() ?? '',
      scope: /^\s*scope\s*:\s*(\w+)/m.exec(declaration.body)?.[1] ?? '',
      roleVariable:
        /roleDefinitionId\s*:\s*subscriptionResourceId\(\s*'Microsoft\.Authorization\/roleDefinitions'\s*,\s*(\w+)\s*\)/.exec(
          declaration.body,
        )?.[1] ?? '',
      principal: /principalId\s*:\s*(\w+)/.exec(declaration.body)?.[1] ?? '',
    }));
}

/** A role id variable with the role name given in its trailing comment: `var x = '<guid>' // Name`. */
export interface RoleIdVariable {
  readonly file: string;
  readonly variable: string;
  readonly roleId: string;
  readonly commentedName: string;
}

/** The role id variables of a Bicep file (reads the raw text: the role name is in the comment). */
export function roleIdVariables(file: string, bicep: string): RoleIdVariable[] {
  const pattern = /^\s*var\s+(\w+)\s*=\s*'([0-9a-fA-F-]{36})'\s*\/\/\s*(.+?)\s*$/gm;
  return [...bicep.matchAll(pattern)].map((match) => ({
    file,
    variable: match[1] ?? '',
    roleId: (match[2] ?? '').toLowerCase(),
    commentedName: match[3] ?? '',
  }));
}

/** Names of the `param` declarations of a Bicep file, with whether each has a default value. */
export function parameters(bicep: string): Map<string, { readonly hasDefault: boolean }> {
  const text = stripComments(bicep);
  const found = new Map<string, { readonly hasDefault: boolean }>();
  for (const match of text.matchAll(/^\s*param\s+(\w+)\s+\w+(\s*=)?/gm)) {
    found.set(match[1] ?? '', { hasDefault: match[2] !== undefined });
  }
  return found;
}
