/** Non-fatal problems reported alongside results (never printed by the library). */
export interface DiagnosticWarning {
  /** Stable code, e.g. `W_NOT_CONVERGED`, `W_GENES_DROPPED`. */
  code: string;
  message: string;
  /** Sample or entity the warning is about, when it concerns one. */
  sample?: string;
}
