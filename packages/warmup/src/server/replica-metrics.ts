import type { ModelReplica } from '../replica/model-replica.js';
import { LatencyHistogram, PrometheusText } from '@warmpool/telemetry';

/** Request counters and latency per model, plus the replica's warm-up facts, as Prometheus text. */
export class ReplicaMetrics {
  private readonly requests = new Map<string, number>(); // `${model}\u0000${code}` -> count
  private readonly latency = new Map<string, LatencyHistogram>();

  recordRequest(model: string, code: number, seconds: number | undefined): void {
    const key = `${model}\u0000${code}`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    if (seconds !== undefined) {
      let h = this.latency.get(model);
      if (!h) this.latency.set(model, (h = new LatencyHistogram()));
      h.observe(seconds);
    }
  }

  render(replicas: readonly ModelReplica[]): string {
    const out = new PrometheusText();
    for (const r of replicas) {
      const st = r.status();
      const model = r.name;
      const ep = st.load?.executionProvider ?? 'none';
      out.family('warmpool_model_info', 'gauge', 'Model served by this replica; execution_provider is the one actually used.');
      out.sample('warmpool_model_info', { model, execution_provider: ep, phase: st.phase }, 1);
      out.family('warmpool_model_ready', 'gauge', '1 when warm-up converged (or policy allowed) and memory headroom was checked.');
      out.sample('warmpool_model_ready', { model, execution_provider: ep }, r.ready ? 1 : 0);
      if (st.load) {
        out.family('warmpool_model_load_seconds', 'gauge', 'Model file read and session creation time.');
        out.sample('warmpool_model_load_seconds', { model, execution_provider: ep }, st.load.loadMs / 1000);
        out.family('warmpool_model_optimized_cache_hit', 'gauge', '1 when a cached optimized model was loaded.');
        out.sample('warmpool_model_optimized_cache_hit', { model }, st.load.optimizedCacheHit ? 1 : 0);
      }
      const w = st.warmup;
      if (w) {
        out.family('warmpool_warmup_seconds', 'gauge', 'Warm-up duration.');
        out.sample('warmpool_warmup_seconds', { model, execution_provider: ep }, w.warmupMs / 1000);
        out.family('warmpool_warmup_converged', 'gauge', '1 when every shape converged.');
        out.sample('warmpool_warmup_converged', { model }, w.converged ? 1 : 0);
        out.family('warmpool_warmup_passes_total', 'counter', 'Warm passes run during warm-up.');
        out.sample('warmpool_warmup_passes_total', { model }, w.totalPasses);
        out.family('warmpool_warmup_first_pass_ms', 'gauge', 'Latency of the first (cold) pass of each shape.');
        for (const s of w.shapes) out.sample('warmpool_warmup_first_pass_ms', { model, shape: s.label }, s.firstPassMs);
        out.family('warmpool_warmup_steady_p50_ms', 'gauge', 'Median latency of the last warm-up window of each shape.');
        for (const s of w.shapes) out.sample('warmpool_warmup_steady_p50_ms', { model, shape: s.label }, s.steadyP50Ms);
        out.family('warmpool_memory_peak_rss_fraction', 'gauge', 'Peak RSS after the largest shape over the memory limit.');
        out.sample('warmpool_memory_peak_rss_fraction', { model }, w.memory.usedFraction);
        if (w.memory.gpu) {
          out.family('warmpool_gpu_memory_used_bytes', 'gauge', 'Device memory used after the largest shape (device-wide, nvidia-smi).');
          out.sample('warmpool_gpu_memory_used_bytes', { model, device: String(w.memory.gpu.device) }, w.memory.gpu.usedBytes);
          out.family('warmpool_gpu_memory_total_bytes', 'gauge', 'Device memory total.');
          out.sample('warmpool_gpu_memory_total_bytes', { model, device: String(w.memory.gpu.device) }, w.memory.gpu.totalBytes);
        }
      }
      r.shapes.writeMetrics(out, model);
      out.family('warmpool_keep_warm_passes_total', 'counter', 'Light passes run while idle.');
      out.sample('warmpool_keep_warm_passes_total', { model }, st.keepWarmPasses);
      out.family('warmpool_inference_in_flight', 'gauge', 'Inferences running or queued.');
      out.sample('warmpool_inference_in_flight', { model }, r.limiter.running + r.limiter.queued);
    }
    const probe = replicas[0]?.memoryProbe;
    if (probe) {
      const limit = probe.limitBytes();
      const rss = probe.rssBytes();
      out.family('warmpool_process_resident_memory_bytes', 'gauge', 'Resident set size now.');
      out.sample('warmpool_process_resident_memory_bytes', {}, rss);
      out.family('warmpool_process_peak_resident_memory_bytes', 'gauge', 'Peak resident set size.');
      out.sample('warmpool_process_peak_resident_memory_bytes', {}, probe.peakRssBytes());
      out.family('warmpool_memory_limit_bytes', 'gauge', 'Memory limit the headroom is checked against.');
      out.sample('warmpool_memory_limit_bytes', { source: probe.limitSource() }, limit);
      out.family('warmpool_memory_headroom_bytes', 'gauge', 'Limit minus resident set size now.');
      out.sample('warmpool_memory_headroom_bytes', {}, limit - rss);
    }
    out.family('warmpool_inference_requests_total', 'counter', 'Inference requests by model and HTTP status.');
    for (const [key, n] of this.requests) {
      const [model, code] = key.split('\u0000') as [string, string];
      out.sample('warmpool_inference_requests_total', { model, code }, n);
    }
    out.family('warmpool_inference_request_duration_seconds', 'histogram', 'Inference latency (session run) of successful requests.');
    for (const [model, h] of this.latency) h.write(out, 'warmpool_inference_request_duration_seconds', { model });
    return out.toString();
  }
}
