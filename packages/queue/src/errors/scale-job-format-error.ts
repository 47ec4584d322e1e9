import { WarmpoolError } from '@warmpool/domain';

/** A job found in a durable queue whose stored data is not a scale job (written by something else, or corrupted). */
export class ScaleJobFormatError extends WarmpoolError {
  readonly queueName: string;
  readonly jobId: string;

  constructor(queueName: string, jobId: string, problem: string, options?: { cause?: unknown }) {
    super('E_SCALE_JOB_FORMAT', `queue ${queueName}, job ${jobId}: ${problem}`, options);
    this.queueName = queueName;
    this.jobId = jobId;
  }
}
