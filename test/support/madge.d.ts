// The part of madge's JS API the import-cycle test uses (madge ships no types).
declare module 'madge' {
  interface MadgeConfig {
    fileExtensions?: string[];
    tsConfig?: string;
    detectiveOptions?: Record<string, Record<string, unknown>>;
  }
  interface MadgeResult {
    /** The dependency graph: each file (relative to the base dir) and the files it imports. */
    obj(): Record<string, string[]>;
    /** Some cycles: one path per loop madge walks into, not every strongly connected component. */
    circular(): string[][];
  }
  function madge(path: string | string[], config?: MadgeConfig): Promise<MadgeResult>;
  export default madge;
}
