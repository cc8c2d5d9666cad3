/**
 * Following a training job until it ends: its status and each secondary status transition printed
 * once, as they appear. Ctrl+C asks whether to stop the job (StopTrainingJob, then waits for it to
 * stop) or to leave it running; without a terminal to ask, it stops the job. A second Ctrl+C leaves
 * at once. Whoever leaves a job running is told how to follow and stop it.
 * @module
 */
import {
  DescribeTrainingJobCommand,
  type DescribeTrainingJobCommandOutput,
  type SageMakerClient,
  StopTrainingJobCommand,
} from '@aws-sdk/client-sagemaker';

/** What following a job needs from the outside world; tests replace each part. */
export interface WatchDeps {
  log(line: string): void;
  /** waits `ms`, or less when `signal` aborts */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  /** calls `handler` on every Ctrl+C until the returned function is called */
  onInterrupt(handler: () => void): () => void;
  /** asks a yes/no question; undefined where nobody can answer (no terminal) */
  confirm?: ((question: string) => Promise<boolean>) | undefined;
}

/** How following ended: the job's last description, or left running. */
export type WatchResult =
  | { kind: 'ended'; job: DescribeTrainingJobCommandOutput; stoppedByUs: boolean }
  | { kind: 'left-running'; job: DescribeTrainingJobCommandOutput };

const ENDED = new Set(['Completed', 'Failed', 'Stopped']);

/** The commands that follow and stop a job from a shell. */
export function jobCommands(name: string, region: string): string {
  return (
    `follow it with: aws sagemaker describe-training-job --region ${region} --training-job-name ${name}\n` +
    `stop it with:   aws sagemaker stop-training-job --region ${region} --training-job-name ${name}`
  );
}

function time(date: Date | undefined): string {
  return (date ?? new Date()).toISOString().slice(11, 19);
}

/** Prints what is new in a description since `seen`; returns the new `seen`. */
function report(
  job: DescribeTrainingJobCommandOutput,
  seen: { status: string | undefined; transitions: number },
  log: (line: string) => void,
): { status: string | undefined; transitions: number } {
  const transitions = job.SecondaryStatusTransitions ?? [];
  for (const t of transitions.slice(seen.transitions)) {
    log(`${time(t.StartTime)} ${t.Status}${t.StatusMessage ? `: ${t.StatusMessage}` : ''}`);
  }
  if (job.TrainingJobStatus !== seen.status) {
    log(`${time(job.LastModifiedTime)} job ${job.TrainingJobStatus} (${job.SecondaryStatus})`);
  }
  return { status: job.TrainingJobStatus, transitions: transitions.length };
}

/**
 * Follows a training job until it completes, fails or stops, or the user leaves it running.
 * @param pollMs - time between DescribeTrainingJob calls
 */
export async function watchTrainingJob(
  client: SageMakerClient,
  name: string,
  options: { pollMs: number; region: string },
  deps: WatchDeps,
): Promise<WatchResult> {
  let interrupts = 0;
  let wake = new AbortController();
  const unsubscribe = deps.onInterrupt(() => {
    interrupts++;
    wake.abort();
  });
  let seen: { status: string | undefined; transitions: number } = { status: undefined, transitions: 0 };
  let handled = 0;
  let stoppedByUs = false;
  try {
    for (;;) {
      const job = await client.send(new DescribeTrainingJobCommand({ TrainingJobName: name }));
      seen = report(job, seen, deps.log);
      if (ENDED.has(job.TrainingJobStatus ?? '')) return { kind: 'ended', job, stoppedByUs };
      if (interrupts > handled) {
        handled = interrupts;
        const stop =
          interrupts === 1 && (deps.confirm ? await deps.confirm(`Stop training job ${name}? [y/N] `) : true);
        if (!stop || interrupts > handled) {
          deps.log(`Training job ${name} keeps running;\n${jobCommands(name, options.region)}`);
          return { kind: 'left-running', job };
        }
        deps.log(`Stopping training job ${name} (Ctrl+C again to stop waiting)`);
        await client.send(new StopTrainingJobCommand({ TrainingJobName: name }));
        stoppedByUs = true;
      }
      wake = new AbortController();
      if (interrupts > handled) continue;
      await deps.sleep(options.pollMs, wake.signal);
    }
  } finally {
    unsubscribe();
  }
}
