// The same document as one self-contained HTML page: inline CSS for screen and print, charts as inline SVG.
// Every piece of report text is escaped (row ids and column names come from user data), and nothing is
// loaded from elsewhere, so the page is safe to open and to archive.
import type { AuditReport } from '../../engine/src/types';
import type { Block, ReportDocument } from './document-model';
import { imageGridHtml } from './reconstruction-grid';
import { buildReportDocument } from './report-document';

export async function renderReportHtml(report: AuditReport): Promise<string> {
  return renderDocumentHtml(await buildReportDocument(report));
}

const STYLE = `
body { font-family: Helvetica, Arial, sans-serif; color: #000; background: #fff; max-width: 52rem; margin: 2rem auto; padding: 0 1.5rem; font-size: 10.5pt; line-height: 1.45; }
h1 { font-size: 17pt; border-bottom: 1.5px solid #000; padding-bottom: .2rem; margin-top: 2.5rem; }
h2 { font-size: 13pt; margin-top: 1.6rem; } h3 { font-size: 11pt; margin: 1.1rem 0 .3rem; }
.cover { border-bottom: 1px solid #888; padding-bottom: 2rem; }
.brand { letter-spacing: .2em; font-weight: bold; color: #444; font-size: 9pt; }
.cover h1 { font-size: 26pt; border: none; margin: 1.5rem 0 .3rem; }
.subtitle { color: #444; font-size: 13pt; margin: 0 0 1.5rem; }
.rating { border: 3px solid #000; padding: .8rem 1.2rem; display: flex; justify-content: space-between; align-items: baseline; }
.rating .label { font-size: 9pt; letter-spacing: .15em; color: #444; display: block; }
.rating .value { font-size: 28pt; font-weight: bold; }
.lead { font-weight: bold; } .note { font-style: italic; color: #444; font-size: 9pt; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; font-size: 9pt; }
th { background: #e6e6e6; text-align: left; border-top: 1px solid #000; border-bottom: 1px solid #000; padding: .3rem .4rem; }
td { border-bottom: 0.5px solid #888; padding: .3rem .4rem; vertical-align: top; }
.right { text-align: right; } .mono { font-family: Courier, monospace; word-break: break-all; }
table.facts th { background: none; border-top: none; border-bottom: 0.5px solid #ccc; width: 30%; }
table.facts td { border-bottom: 0.5px solid #ccc; }
caption { caption-side: bottom; text-align: left; font-style: italic; color: #444; font-size: 8.5pt; padding-top: .3rem; }
figure { margin: 1rem 0; text-align: center; } figcaption { text-align: left; font-style: italic; color: #444; font-size: 8.5pt; }
pre { border: 1px solid #888; padding: .6rem; white-space: pre-wrap; font-size: 8.5pt; }
@media print { body { max-width: none; margin: 0; } h1.page { break-before: page; } figure, table { break-inside: avoid; } }
`;

export function renderDocumentHtml(document: ReportDocument): string {
  const c = document.cover;
  const parts: string[] = [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(document.title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    '<section class="cover">',
    '<div class="brand">PRIVAUDIT</div>',
    `<h1>${esc(c.title)}</h1>`,
    `<p class="subtitle">${esc(c.subtitle)}</p>`,
    `<div class="rating"><div><span class="label">RISK RATING</span><span class="value">${esc(c.rating.toUpperCase())}</span></div><div>score ${c.score} / 100</div></div>`,
    `<p>${esc(c.statement)}</p>`,
    factsTable(c.facts, false),
    '</section>',
    ...document.blocks.map(blockHtml),
    '</body>',
    '</html>',
    '',
  ];
  return parts.join('\n');
}

function blockHtml(block: Block): string {
  switch (block.kind) {
    case 'heading':
      return `<h${block.level}${block.pageBreak ? ' class="page"' : ''}>${esc(block.text)}</h${block.level}>`;
    case 'paragraph':
      return `<p${block.emphasis ? ` class="${block.emphasis}"` : ''}>${esc(block.text)}</p>`;
    case 'bullets':
      return `<ul>${block.items.map((i) => `<li>${esc(i)}</li>`).join('')}</ul>`;
    case 'facts':
      return factsTable(block.rows, block.mono === true);
    case 'table': {
      const cls = (i: number): string => {
        const col = block.columns[i];
        const names = [col?.align === 'right' ? 'right' : '', col?.mono ? 'mono' : ''].filter(Boolean);
        return names.length > 0 ? ` class="${names.join(' ')}"` : '';
      };
      return [
        '<table>',
        block.caption ? `<caption>${esc(block.caption)}</caption>` : '',
        `<thead><tr>${block.columns.map((col, i) => `<th${cls(i)}>${esc(col.header)}</th>`).join('')}</tr></thead>`,
        `<tbody>${block.rows.map((row) => `<tr>${row.map((cell, i) => `<td${cls(i)}>${esc(cell)}</td>`).join('')}</tr>`).join('')}</tbody>`,
        '</table>',
      ].join('');
    }
    case 'chart':
      // The SVG comes from vega's renderer over numbers from the report; its text nodes are escaped by vega.
      return `<figure>${block.svg}<figcaption>${esc(block.caption)}</figcaption></figure>`;
    case 'code':
      return `<pre>${esc(block.text)}</pre>`;
    case 'imageGrid':
      return imageGridHtml(block, esc);
    default: {
      const unreachable: never = block;
      throw new Error(`unknown block ${JSON.stringify(unreachable)}`);
    }
  }
}

function factsTable(rows: ReadonlyArray<readonly [string, string]>, mono: boolean): string {
  return `<table class="facts"><tbody>${rows
    .map(
      ([k, v]) =>
        `<tr><th>${esc(k)}</th><td${mono || /^[0-9a-f]{64}$/.test(v) ? ' class="mono"' : ''}>${esc(v)}</td></tr>`,
    )
    .join('')}</tbody></table>`;
}

export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
