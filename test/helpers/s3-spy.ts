import { S3Client } from '@aws-sdk/client-s3';

/** One S3 command as sent by the code under test. */
export interface S3Call {
  command: string;
  key: string | undefined;
  range: string | undefined;
}

/** Records every command a client sends (before SDK retries), for counting GETs and parts. */
export function recordCalls(client: S3Client): S3Call[] {
  const calls: S3Call[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { Key?: string; Range?: string };
      calls.push({ command: String(context.commandName), key: input.Key, range: input.Range });
      return next(args);
    },
    { step: 'initialize', name: 'recordCalls' },
  );
  return calls;
}

/** A client for the moto emulator started by test/helpers/moto.ts (path-style, as moto needs). */
export function motoClient(options: { maxAttempts?: number } = {}): S3Client {
  return new S3Client({ forcePathStyle: true, maxAttempts: options.maxAttempts ?? 3 });
}
