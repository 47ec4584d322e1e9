/** Placeholders a PromQL template may use. */
export const PROMQL_PLACEHOLDERS = ['model', 'step', 'stepS'] as const;

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** Placeholders in `template` that are not known (empty when the template is fine). */
export function unknownPlaceholders(template: string): string[] {
  const bad: string[] = [];
  for (const m of template.matchAll(PLACEHOLDER)) {
    const name = m[1]!;
    if (!(PROMQL_PLACEHOLDERS as readonly string[]).includes(name) && !bad.includes(name)) bad.push(name);
  }
  return bad;
}

/** A PromQL duration for `stepS` seconds: `60s`, or `1500ms` for fractional steps. */
export function promqlDuration(stepS: number): string {
  return Number.isInteger(stepS) ? `${stepS}s` : `${Math.round(stepS * 1000)}ms`;
}

/**
 * Fills a PromQL template: `{{model}}` becomes the model name escaped for a double-quoted label value,
 * `{{step}}` the step as a PromQL duration (`60s`), `{{stepS}}` the step in seconds as a number.
 * Example: `sum(rate(warmpool_inference_requests_total{model="{{model}}"}[{{step}}]))`.
 */
export function renderPromql(template: string, model: string, stepS: number): string {
  return template.replace(PLACEHOLDER, (whole, name: string) => {
    switch (name) {
      case 'model':
        return model.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
      case 'step':
        return promqlDuration(stepS);
      case 'stepS':
        return String(stepS);
      default:
        return whole;
    }
  });
}
