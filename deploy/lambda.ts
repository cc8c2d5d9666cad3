/**
 * `npm run deploy:lambda -- --stage dev [--region R] [--s3 s3://bucket/prefix] [--train] [--dry-run] [--remove]`
 *
 * Deploys the Lambda target with the Serverless Framework: checks that a model is published under --s3
 * (or trains and publishes one first with --train), runs `serverless deploy`, prints the endpoint and how
 * to get the API key, and smoke-tests it. `--dry-run` only packages and lints (offline, no credentials);
 * `--remove` deletes the stack. Exit code 0 on success, 1 on any failure, 2 for bad options.
 * @module
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, Option } from 'commander';
import { ArtifactInvalidError, ConfigInvalidError, ModelNotLoadedError } from '../src/core/errors.js';
import { loadConfig } from '../src/serving/index.js';
import { createS3Client, fetchVersion, openArtifactSource, parseModelUri } from '../src/store/index.js';
import {
  KiB,
  lintTemplate,
  packageService,
  ROOT,
  runServerless,
  serverlessArgs,
  type Target,
} from './lambda-package.js';
import { validateParams } from './lambda-params.js';

/** The options of one run. */
export interface LambdaDeployOptions {
  stage: string;
  region: string;
  s3: string | undefined;
  train: boolean;
  dryRun: boolean;
  remove: boolean;
  /** extra serverless.yml parameters, `name=value` */
  params: string[];
  /** --dry-run: keep the package here (default: a temporary directory, removed afterwards) */
  packageDir?: string | undefined;
}

/** Stands in for --s3 where no model is read (--dry-run, --remove): serverless.yml still needs the params. */
const PLACEHOLDER_S3 = 's3://example-model-bucket/recommender';

/** Parses argv (without node and script); commander prints help and errors itself. */
export function parseArgs(argv: readonly string[]): LambdaDeployOptions {
  const program = new Command('deploy:lambda')
    .description('Deploy the recommender to AWS Lambda + API Gateway (Serverless Framework v3)')
    .addOption(new Option('--stage <name>', 'stage: part of the stack and API names').default('dev'))
    .addOption(new Option('--region <region>', 'AWS region').env('AWS_REGION').default('us-east-1'))
    .option('--s3 <uri>', 'model root s3://bucket/prefix (latest.json lives there); required to deploy')
    .option('--train', 'train on the shipped sample and publish to --s3 first', false)
    .option('--dry-run', 'serverless package + cfn-lint only; no AWS calls', false)
    .option('--remove', 'remove the stack of --stage', false)
    .option(
      '--param <name=value...>',
      'more serverless.yml parameters (modelRefreshSeconds, quotaPerDay, provisionedConcurrency, ...; README)',
      [],
    )
    .option(
      '--canary <percent>',
      'a new version takes this share of traffic first (= --param canaryPercent=N)',
    )
    .option('--package-dir <dir>', 'with --dry-run: write the package here and keep it')
    .exitOverride()
    .parse(argv, { from: 'user' });
  const o = program.opts<{
    stage: string;
    region: string;
    s3?: string;
    train: boolean;
    dryRun: boolean;
    remove: boolean;
    param: string[];
    canary?: string;
    packageDir?: string;
  }>();
  return {
    stage: o.stage,
    region: o.region,
    s3: o.s3,
    train: o.train,
    dryRun: o.dryRun,
    remove: o.remove,
    params: o.canary === undefined ? o.param : [...o.param, `canaryPercent=${o.canary}`],
    packageDir: o.packageDir,
  };
}

/** Bucket and prefix of an s3:// model root; a prefix is required so IAM can be limited to it. */
export function targetOf(options: LambdaDeployOptions, s3 = options.s3 ?? PLACEHOLDER_S3): Target {
  const location = parseModelUri(s3);
  if (location.kind !== 's3' || location.prefix === '') {
    throw new Error(`--s3 must be s3://bucket/prefix with a non-empty prefix (got ${s3})`);
  }
  return {
    stage: options.stage,
    region: options.region,
    bucket: location.bucket,
    prefix: location.prefix,
    params: options.params,
  };
}

/**
 * `serverless package` then cfn-lint; true when both are clean. The package goes to `packageDir` (kept)
 * or to a temporary directory that is removed afterwards, whatever the outcome.
 */
export async function dryRun(
  target: Target,
  log: (line: string) => void,
  packageDir?: string,
): Promise<boolean> {
  if (packageDir) mkdirSync(packageDir, { recursive: true });
  const outDir = packageDir ?? mkdtempSync(join(tmpdir(), 'sls-dry-run-'));
  try {
    return await packageAndLint(target, outDir, log);
  } finally {
    if (packageDir) log(`package written to ${outDir}`);
    else rmSync(outDir, { recursive: true, force: true });
  }
}

async function packageAndLint(target: Target, outDir: string, log: (line: string) => void): Promise<boolean> {
  const { bundles } = await packageService({ ...target, outDir });
  for (const b of bundles) {
    log(
      `  ${b.function}: ${(b.codeBytes / KiB).toFixed(0)} KiB bundle, ${(b.zipBytes / KiB).toFixed(0)} KiB zip`,
    );
  }
  const lint = lintTemplate(join(outDir, 'cloudformation-template-update-stack.json'));
  log(
    lint.status === 0
      ? 'cfn-lint: no errors, no warnings'
      : `cfn-lint failed (exit ${lint.status}):\n${lint.output}`,
  );
  return lint.status === 0;
}

/**
 * The model version published under `uri`, read and verified as the functions will read it at init
 * (pointer, manifest, format, `items.bin` and its sha256; users are read per block, so not fetched here).
 * @returns the version id, or undefined when `latest.json` is missing
 * @throws ArtifactInvalidError when the pointer or the version it names is unusable
 */
export async function publishedVersion(uri: string): Promise<string | undefined> {
  const location = parseModelUri(uri);
  if (location.kind !== 's3') throw new Error(`${uri} is not an s3:// URI`);
  const client = createS3Client({ forcePathStyle: loadConfig(process.env).s3ForcePathStyle });
  const source = openArtifactSource(uri, { s3: client });
  try {
    const read = await source.readPointer();
    if (!read.changed) return undefined;
    if (read.pointer === undefined) throw read.error;
    const fetched = await fetchVersion(source, read.pointer, false, {
      allocateItems: (bytes) => new Uint8Array(bytes),
      preloadUsersBytes: 0,
    });
    return fetched.version;
  } catch (error) {
    if (error instanceof ModelNotLoadedError && error.message.startsWith('No model published'))
      return undefined;
    throw error;
  } finally {
    await source.close();
    client.destroy();
  }
}

/** Endpoint URL and API key value from `serverless info --verbose` output. */
export function parseInfo(
  text: string,
  keyName: string,
): { endpoint: string | undefined; apiKey: string | undefined } {
  const endpoint = text.match(/ServiceEndpoint: (https:\/\/\S+)/)?.[1];
  const apiKey = text.match(new RegExp(`^\\s*${keyName}: (\\S+)`, 'm'))?.[1];
  return { endpoint, apiKey };
}

/** Smoke requests: /ping open, a keyed request answered, the same request without a key refused. */
export async function smokeTest(
  endpoint: string,
  apiKey: string,
  log: (line: string) => void,
): Promise<boolean> {
  const body = JSON.stringify({ user_id: '__deploy_smoke_test__', fallback: 'popular', k: 1 });
  const post = (headers: Record<string, string>) =>
    fetch(`${endpoint}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
  // A new usage-plan key can take a few seconds to be honoured.
  for (let attempt = 1; attempt <= 12; attempt++) {
    const ping = await fetch(`${endpoint}/ping`);
    const keyed = await post({ 'x-api-key': apiKey });
    const anonymous = await post({});
    log(
      `smoke ${attempt}: /ping ${ping.status}, /invocations with key ${keyed.status}, without key ${anonymous.status}`,
    );
    if (ping.status === 200 && keyed.status === 200 && anonymous.status === 403) return true;
    await new Promise((resolve) => setTimeout(resolve, 5000));
  }
  return false;
}

/** Runs one invocation of the script; returns the exit code. */
export async function runLambdaDeploy(
  options: LambdaDeployOptions,
  log: (line: string) => void,
): Promise<number> {
  // Every parameter is checked before serverless runs (a typo would otherwise pass silently).
  validateParams(options.params);
  if (options.dryRun) return (await dryRun(targetOf(options), log, options.packageDir)) ? 0 : 1;
  if (options.remove) {
    log(`removing stack video-recommender-${options.stage} in ${options.region}`);
    return (await runServerless(['remove', ...serverlessArgs(targetOf(options))])).status === 0 ? 0 : 1;
  }
  if (!options.s3) {
    log('--s3 s3://bucket/prefix is required to deploy (the model root the functions read)');
    return 2;
  }
  const target = targetOf(options);
  const uri = `s3://${target.bucket}/${target.prefix}`;
  if (options.train) {
    log(`training on the shipped sample and publishing to ${uri}`);
    const train = spawnSync(process.execPath, ['--import', 'tsx', 'training/cli.ts', '--s3', uri], {
      cwd: ROOT,
      stdio: 'inherit',
    });
    if (train.status !== 0) return 1;
  }
  let version: string | undefined;
  try {
    version = await publishedVersion(uri);
  } catch (error) {
    if (!(error instanceof ArtifactInvalidError)) throw error;
    log(`the model at ${uri} would be refused by the functions: ${error.message}; publish a good one first`);
    return 1;
  }
  if (!version) {
    log(`no model at ${uri}/latest.json: publish one with \`npm run train -- --s3 ${uri}\` or pass --train`);
    return 1;
  }
  log(`model ${version} found at ${uri}; deploying stage ${target.stage} to ${target.region}`);
  if ((await runServerless(['deploy', ...serverlessArgs(target)])).status !== 0) return 1;
  const info = await runServerless(['info', '--verbose', ...serverlessArgs(target)], { capture: true });
  const { endpoint, apiKey } = parseInfo(
    `${info.stdout}\n${info.stderr}`,
    `video-recommender-${target.stage}`,
  );
  if (!endpoint || !apiKey) {
    log(
      `deployed, but could not read the endpoint or API key from \`serverless info\`:\n${info.stdout}${info.stderr}`,
    );
    return 1;
  }
  log(`endpoint: ${endpoint}`);
  log('API key: `npx serverless info --verbose --stage <stage> --param=...` lists it, or');
  log(
    '  aws apigateway get-api-key --include-value --query value --output text --api-key <ApiKeyId stack output>',
  );
  log(`try: curl -H "x-api-key: $KEY" "${endpoint}/users/<userId>/recommendations?k=5"`);
  return (await smokeTest(endpoint, apiKey, log)) ? 0 : 1;
}

async function main(): Promise<void> {
  let options: LambdaDeployOptions;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    const code = (error as { exitCode?: number }).exitCode;
    process.exitCode = code === 0 ? 0 : 2;
    return;
  }
  try {
    process.exitCode = await runLambdaDeploy(options, (line) => console.log(line));
  } catch (error) {
    console.error(`deploy:lambda failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = error instanceof ConfigInvalidError ? 2 : 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
