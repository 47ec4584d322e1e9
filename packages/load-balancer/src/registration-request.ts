import { FieldReader, MODEL_NAME_PATTERN, ValidationError, type ReplicaRegistration } from '@warmpool/domain';

/** Validates a `POST /replicas` body: `{ replicaId, model, url, executionProvider }`. */
export function parseRegistration(input: unknown): ReplicaRegistration {
  const r = new FieldReader(input);
  r.rejectUnknown(['replicaId', 'model', 'url', 'executionProvider']);
  const reg: ReplicaRegistration = {
    replicaId: r.string('replicaId', {
      pattern: /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/,
      patternText: 'letters, digits, . _ : - (at most 128)',
    }),
    model: r.string('model', {
      pattern: MODEL_NAME_PATTERN,
      patternText: `a model name matching ${MODEL_NAME_PATTERN}`,
    }),
    url: r.string('url', { pattern: /^https?:\/\/[^/\s?#]+$/, patternText: 'http(s)://host:port with no path' }),
    executionProvider: r.string('executionProvider', { default: 'unknown' }),
  };
  if (r.issues.length > 0) throw new ValidationError(r.issues, 'replica registration');
  return reg;
}
