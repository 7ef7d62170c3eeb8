/** What every page of the console gets. */
export interface PageContext {
  /** Runs `load` now and again `everyMs` after each run ends, while the page is shown; its errors show as the page's problem. */
  live(load: () => Promise<void>, everyMs?: number): () => void;
  /** False once the viewer has moved to another page. */
  current(): boolean;
  showProblem(error: unknown): void;
  clearProblem(): void;
}

export type Page = (main: HTMLElement, params: { id: string | undefined; query: URLSearchParams }, ctx: PageContext) => void;
