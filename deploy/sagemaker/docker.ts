/**
 * The container-engine commands a deploy runs (log in to ECR, build for linux/amd64, push), planned as
 * plain data so tests assert them without a Docker engine, and run by one small spawner.
 * @module
 */
import { spawn } from 'node:child_process';

/** One command line; `stdin` carries secrets so they never appear in argv or logs. */
export interface ShellCommand {
  program: string;
  args: string[];
  stdin?: string;
}

/** Runs a command and returns its stdout; throws when it exits non-zero. */
export type CommandRunner = (command: ShellCommand) => Promise<{ stdout: string }>;

/** What a build-and-push needs to know. */
export interface ImageBuildPlan {
  engine: 'docker' | 'podman';
  /** registry host, e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com */
  registry: string;
  /** repository URI with tag */
  imageUri: string;
  dockerfile: string;
  context: string;
  /** password from the ECR authorization token (user is always AWS) */
  password: string;
}

/**
 * Plans the login, build and push commands. Docker builds with buildx and `--provenance=false`, since
 * SageMaker rejects the OCI image index that attestations produce; podman builds in Docker v2 format.
 * @example
 * const commands = planImageCommands({ engine: 'docker', registry, imageUri, dockerfile: 'container/Dockerfile', context: '.', password });
 */
export function planImageCommands(plan: ImageBuildPlan): ShellCommand[] {
  const { engine, registry, imageUri, dockerfile, context, password } = plan;
  const login: ShellCommand = {
    program: engine,
    args: ['login', '--username', 'AWS', '--password-stdin', registry],
    stdin: password,
  };
  if (engine === 'podman') {
    return [
      login,
      {
        program: 'podman',
        args: [
          'build',
          '--format',
          'docker',
          '--platform',
          'linux/amd64',
          '-f',
          dockerfile,
          '-t',
          imageUri,
          context,
        ],
      },
      { program: 'podman', args: ['push', imageUri] },
    ];
  }
  return [
    login,
    {
      program: 'docker',
      args: [
        'buildx',
        'build',
        '--platform',
        'linux/amd64',
        '--provenance=false',
        '--sbom=false',
        '-f',
        dockerfile,
        '-t',
        imageUri,
        '--push',
        context,
      ],
    },
  ];
}

/** Renders a command for a log line, never showing stdin. */
export function describeCommand(command: ShellCommand): string {
  return [command.program, ...command.args].join(' ') + (command.stdin === undefined ? '' : ' < (secret)');
}

/** The real runner: spawns the program, streams its stderr to ours, collects stdout. */
export const spawnCommand: CommandRunner = (command) =>
  new Promise((resolve, reject) => {
    const child = spawn(command.program, command.args, { stdio: ['pipe', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      process.stdout.write(chunk);
    });
    child.on('error', (error) => reject(new Error(`cannot run ${command.program}: ${error.message}`)));
    child.on('close', (code) => {
      if (code === 0) resolve({ stdout });
      else reject(new Error(`${describeCommand(command)} exited with ${code}`));
    });
    child.stdin.end(command.stdin ?? '');
  });
