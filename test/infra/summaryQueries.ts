/**
 * The queries of the health workbook and the alerts that read the `ExportRunSummary {json}` trace line, and the
 * fields of that line they use (`s.field` after `extend s = parse_json(...)`).
 */
import { readRepoFile, stripComments } from './templateText';

/** How every query reads the line: skip the prefix the function writes, parse the rest as JSON into `s`. */
export const SUMMARY_PARSE =
  'where message startswith "ExportRunSummary " | extend s = parse_json(substring(message, 17))';

/** A query that reads the summary line, with where it lives. */
export interface SummaryQuery {
  readonly source: string;
  readonly query: string;
}

/** The workbook as deployed (infra/app/workbook.json, loaded by workbook.bicep). */
export function workbookItems(): unknown[] {
  const workbook: unknown = JSON.parse(readRepoFile('infra/app/workbook.json'));
  return typeof workbook === 'object' && workbook !== null && 'items' in workbook && Array.isArray(workbook.items)
    ? (workbook.items as unknown[])
    : [];
}

/** `name` and `content.query` of each query item (type 3) of the workbook. */
export function workbookQueries(): SummaryQuery[] {
  return workbookItems().flatMap((item) => {
    if (
      typeof item !== 'object' ||
      item === null ||
      !('content' in item) ||
      typeof item.content !== 'object' ||
      item.content === null
    ) {
      return [];
    }
    const name = 'name' in item && typeof item.name === 'string' ? item.name : '?';
    return 'query' in item.content && typeof item.content.query === 'string'
      ? [{ source: `workbook.json ${name}`, query: item.content.query }]
      : [];
  });
}

/** The alert queries of alerts.bicep that read the summaries (through its `summaries` variable), the variable expanded. */
export function alertQueries(): SummaryQuery[] {
  const text = stripComments(readRepoFile('infra/app/alerts.bicep'));
  const summaries = /^var summaries = '([^']*)'/m.exec(text)?.[1] ?? '';
  return [...text.matchAll(/query\s*:\s*'([^']*)'/g)]
    .map((match) => match[1] ?? '')
    .filter((query) => query.includes('${summaries}'))
    .map((query, index) => ({
      source: `alerts.bicep query ${index + 1}`,
      query: query.replace('${summaries}', summaries),
    }));
}

/** A query with its line breaks and repeated spaces folded, so that the parse step can be compared as text. */
export function folded(query: string): string {
  return query.replace(/\s*\n\s*/g, ' ').replace(/\s+/g, ' ');
}

/** The summary fields a query reads: `s.field` and `s["field"]`. */
export function fieldsUsed(query: string): string[] {
  const dotted = [...query.matchAll(/\bs\.(\w+)/g)].map((match) => match[1] ?? '');
  const bracketed = [...query.matchAll(/\bs\[["'](\w+)["']\]/g)].map((match) => match[1] ?? '');
  return [...new Set([...dotted, ...bracketed])].sort();
}

/** The fields of the `RunSummary` interface (src/export/runExport.ts), read from its text. */
export function runSummaryInterfaceFields(): string[] {
  const source = readRepoFile('src/export/runSummary.ts');
  const body = ['RunSummary', 'SummaryLine']
    .map((name) => new RegExp(`export interface ${name} \\{([\\s\\S]*?)\\n\\}`).exec(source)?.[1] ?? '')
    .join('\n');
  return [...new Set([...body.matchAll(/^\s*readonly\s+(\w+)\??\s*:/gm)].map((match) => match[1] ?? ''))];
}
