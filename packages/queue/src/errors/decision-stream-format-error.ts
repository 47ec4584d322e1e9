import { WarmpoolError } from '@warmpool/domain';

/** An entry of the decision stream that is not a JSON object record: names the stream key and the entry id. */
export class DecisionStreamFormatError extends WarmpoolError {
  readonly streamKey: string;
  readonly entryId: string;

  constructor(streamKey: string, entryId: string, problem: string, options?: { cause?: unknown }) {
    super('E_DECISION_STREAM_FORMAT', `stream ${streamKey}, entry ${entryId}: ${problem}`, options);
    this.streamKey = streamKey;
    this.entryId = entryId;
  }
}
