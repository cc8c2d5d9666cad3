/**
 * `npm run dev:lambda [-- --model artifacts] [--emulator] [--port 3000] [--lambda-port 3002] [--stage dev]`
 *
 * The Lambda handlers over real HTTP on localhost through serverless-offline (API Gateway emulation:
 * same paths under /<stage>, same API-key check, the real esbuild bundles), so `curl` works as against
 * the deployed API. The model comes from a local directory (default: `artifacts/`, where
 * `npm run train` publishes), or with --emulator from a local S3 emulator (moto_server) it is first
 * published to, exercising the same S3 code path as Lambda.
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { Command } from 'commander';
import {
  createS3Client,
  fetchVersion,
  openArtifactSource,
  parseModelUri,
  publishModel,
} from '../src/store/index.js';
import { ROOT, SERVERLESS_BIN, serverlessEnv } from './lambda-package.js';

const EMULATOR_BUCKET = 'dev-models';
const EMULATOR_PREFIX = 'recommender';

/** Resolves when `port` can be bound on localhost, rejects with a message saying who needs it otherwise. */
export function checkPortFree(port: number, role: string): Promise<void> {
  return new Promise((done, fail) => {
    const server = createServer()
      .once('error', (error: NodeJS.ErrnoException) =>
        fail(new Error(`port ${port} (${role}) is not free: ${error.code ?? error.message}`)),
      )
      .listen(port, 'localhost', () => server.close(() => done()));
  });
}

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer().once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Starts moto_server on a free loopback port; resolves once it answers. */
async function startEmulator(): Promise<{ endpoint: string; child: ChildProcess }> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  child.once('error', (error) =>
    console.error(`moto_server could not start (pip install "moto[server]"): ${error.message}`),
  );
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`moto_server exited (${child.exitCode})`);
    if (
      await fetch(`${endpoint}/moto-api/`).then(
        (r) => r.status < 500,
        () => false,
      )
    )
      return { endpoint, child };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error(`moto_server did not answer on ${endpoint}`);
}

/**
 * Copies the latest model of a local artifacts root into the emulator, read and verified as the
 * functions read it (a format-1 version arrives converted to format 2); returns its s3:// root.
 */
async function publishToEmulator(dir: string, endpoint: string): Promise<string> {
  // CreateBucket is a bare PUT; the emulator needs no signature, and deploy code stays off the S3 SDK.
  await fetch(`${endpoint}/${EMULATOR_BUCKET}`, { method: 'PUT' });
  const local = openArtifactSource(dir);
  const read = await local.readPointer();
  if (!read.changed) throw new Error(`${dir}: no model`);
  if (read.pointer === undefined) throw read.error;
  const fetched = await fetchVersion(local, read.pointer, false, {
    allocateItems: (bytes) => new Uint8Array(bytes),
    preloadUsersBytes: Number.POSITIVE_INFINITY,
  });
  await local.close();
  if (fetched.users.kind !== 'memory') throw new Error('users.bin was not read');
  const { manifest } = fetched;
  const files = {
    [manifest.items.file]: fetched.items,
    [manifest.users.file]: new Uint8Array(fetched.users.bytes),
  };
  const s3 = createS3Client({ forcePathStyle: true });
  try {
    const uri = `s3://${EMULATOR_BUCKET}/${EMULATOR_PREFIX}`;
    await publishModel(uri, { manifest, files }, {}, { s3 });
    return uri;
  } finally {
    s3.destroy();
  }
}

async function main(): Promise<void> {
  const options = new Command('dev:lambda')
    .option('--model <uri>', 'model root: a directory or s3://bucket/prefix', 'artifacts')
    .option(
      '--emulator',
      'publish the local model to a local S3 emulator (moto_server) and serve it from there',
    )
    .option('--port <n>', 'HTTP port of the API', '3000')
    .option('--lambda-port <n>', "serverless-offline's Lambda invoke endpoint (default: --port + 2)")
    .option('--stage <name>', 'stage: the first path segment, as on API Gateway', 'dev')
    .parse(process.argv)
    .opts<{ model: string; emulator?: boolean; port: string; lambdaPort?: string; stage: string }>();
  const port = Number(options.port);
  const lambdaPort = Number(options.lambdaPort ?? port + 2);
  await checkPortFree(port, '--port, the API');
  await checkPortFree(
    lambdaPort,
    `serverless-offline's Lambda invoke endpoint, ${options.lambdaPort ? '--lambda-port' : '--port + 2'}; pass --lambda-port N to move it`,
  );

  const location = parseModelUri(options.model);
  let modelUri = location.uri;
  let emulator: ChildProcess | undefined;
  // No X-Ray daemon runs here: Powertools Tracer stays off rather than complaining about missing trace data.
  const env = serverlessEnv({ LOG_LEVEL: 'info', POWERTOOLS_TRACE_ENABLED: 'false' });
  env.AWS_ACCESS_KEY_ID ??= 'local';
  env.AWS_SECRET_ACCESS_KEY ??= 'local';
  if (options.emulator) {
    if (location.kind !== 'local')
      throw new Error('--emulator copies a local model directory: give --model <dir>');
    const started = await startEmulator();
    emulator = started.child;
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: started.endpoint,
      AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID,
    });
    Object.assign(process.env, { AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY, AWS_REGION: 'us-east-1' });
    modelUri = await publishToEmulator(location.dir, started.endpoint);
    Object.assign(env, {
      AWS_ENDPOINT_URL: started.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_S3_FORCE_PATH_STYLE: 'true',
    });
    console.log(`S3 emulator on ${started.endpoint}; model published to ${modelUri}`);
  }

  const args = [SERVERLESS_BIN, 'offline', 'start', '--stage', options.stage, '--httpPort', String(port)];
  // --localEnvironment hands this environment (S3 emulator settings) to the handlers, as Lambda would its own.
  args.push('--lambdaPort', String(lambdaPort), '--localEnvironment');
  args.push('--param=modelBucket=local', '--param=modelPrefix=local', `--param=modelUri=${modelUri}`);
  const offline = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const base = `http://localhost:${port}/${options.stage}`;
  let key: string | undefined;
  const watch = (chunk: Buffer, sink: NodeJS.WriteStream): void => {
    const text = chunk.toString();
    sink.write(text);
    key ??= text.match(/Key with token: '([^']+)'/)?.[1];
    if (text.includes('Server ready')) {
      console.log(`\ndev:lambda ready on ${base} (model ${modelUri})`);
      console.log(`  curl ${base}/ping`);
      console.log(
        `  curl -H 'x-api-key: ${key ?? '<key printed above>'}' '${base}/users/<userId>/recommendations?k=5'`,
      );
      console.log(`API key: ${key ?? 'see above'}`);
    }
  };
  offline.stdout.on('data', (chunk: Buffer) => watch(chunk, process.stdout));
  offline.stderr.on('data', (chunk: Buffer) => watch(chunk, process.stderr));
  const stop = (): void => {
    offline.kill('SIGTERM');
    emulator?.kill('SIGTERM');
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  offline.once('exit', (code) => {
    emulator?.kill('SIGTERM');
    process.exitCode = code ?? 0;
  });
}

main().catch((error: unknown) => {
  console.error(`dev:lambda failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
