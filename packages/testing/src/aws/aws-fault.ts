/**
 * An error the fake answers with, shaped like the Query API's ErrorResponse:
 * `<Error><Type>Sender</Type><Code>ValidationError</Code><Message>..</Message></Error>`.
 */
export class AwsFault extends Error {
  readonly code: string;
  readonly statusCode: number;
  readonly type: 'Sender' | 'Receiver';

  constructor(code: string, message: string, statusCode = 400, type?: 'Sender' | 'Receiver') {
    super(message);
    this.name = 'AwsFault';
    this.code = code;
    this.statusCode = statusCode;
    this.type = type ?? (statusCode >= 500 ? 'Receiver' : 'Sender');
  }

  /** `ValidationError` with the wording AWS uses for a constraint on one member. */
  static validation(message: string): AwsFault {
    return new AwsFault('ValidationError', message, 400);
  }

  static groupNotFound(group: string): AwsFault {
    return AwsFault.validation(`AutoScalingGroup name not found - AutoScalingGroup '${group}' not found`);
  }
}
