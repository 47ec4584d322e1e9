/** Label values escaped per the Prometheus text exposition format. */
function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

export type Labels = Readonly<Record<string, string>>;

/** Writes Prometheus text format (version 0.0.4): one HELP/TYPE header per family, then samples. */
export class PrometheusText {
  private readonly lines: string[] = [];
  private readonly declared = new Set<string>();

  family(name: string, type: 'gauge' | 'counter' | 'histogram', help: string): this {
    if (!this.declared.has(name)) {
      this.declared.add(name);
      this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    }
    return this;
  }

  sample(name: string, labels: Labels, value: number): this {
    const entries = Object.entries(labels);
    const l = entries.length ? `{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}` : '';
    this.lines.push(`${name}${l} ${formatValue(value)}`);
    return this;
  }

  toString(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

/** Content-Type of the text format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
