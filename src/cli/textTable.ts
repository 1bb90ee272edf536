/** Column alignment: numbers read best right-aligned. */
export type Alignment = 'left' | 'right';

/**
 * Lays out a table for people: a header row and one line per row, columns padded to their widest cell
 * and separated by two spaces. The last column is not padded (no trailing blanks).
 */
export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  alignments: readonly Alignment[] = [],
): string[] {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => {
        if (column === cells.length - 1 && alignments[column] !== 'right') return cell;
        const width = widths[column] ?? cell.length;
        return alignments[column] === 'right' ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ');
  return [line(headers), ...rows.map(line)];
}

/** Lays out `label: value` lines with the values aligned. */
export function formatFields(fields: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(0, ...fields.map(([label]) => label.length + 1));
  return fields.map(([label, value]) => `${`${label}:`.padEnd(width)}  ${value}`);
}
