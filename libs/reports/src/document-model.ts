// The report as a document, independent of its format: the HTML and PDF renderers lay out the same blocks,
// so both say exactly the same thing.
import type { ImageGridBlock } from './reconstruction-grid';

export interface TableColumn {
  readonly header: string;
  /** Share of the text width (the PDF renderer normalises the weights). */
  readonly weight: number;
  readonly align?: 'left' | 'right';
  /** Hashes and ids: fixed-width font. */
  readonly mono?: boolean;
}

export type Block =
  | { readonly kind: 'heading'; readonly level: 1 | 2 | 3; readonly text: string; readonly pageBreak?: boolean }
  | { readonly kind: 'paragraph'; readonly text: string; readonly emphasis?: 'lead' | 'note' }
  | { readonly kind: 'bullets'; readonly items: readonly string[] }
  | { readonly kind: 'facts'; readonly rows: ReadonlyArray<readonly [string, string]>; readonly mono?: boolean }
  | {
      readonly kind: 'table';
      readonly columns: readonly TableColumn[];
      readonly rows: ReadonlyArray<readonly string[]>;
      readonly caption?: string;
    }
  | {
      readonly kind: 'chart';
      readonly svg: string;
      readonly width: number;
      readonly height: number;
      readonly caption: string;
    }
  | { readonly kind: 'code'; readonly text: string }
  | ImageGridBlock;

export interface ReportCover {
  readonly title: string;
  readonly subtitle: string;
  readonly rating: string;
  readonly score: number;
  readonly facts: ReadonlyArray<readonly [string, string]>;
  readonly statement: string;
}

export interface ReportDocument {
  /** Document title (PDF info, HTML <title>). */
  readonly title: string;
  /** Running header/footer text. */
  readonly runningTitle: string;
  readonly createdAt: Date;
  readonly cover: ReportCover;
  readonly blocks: readonly Block[];
}
