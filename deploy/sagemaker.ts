/**
 * `npm run deploy:sagemaker -- --region us-east-1 --role-arn ARN --s3 s3://bucket/prefix [options]`:
 * deploys the recommender container to a SageMaker endpoint (alarms, autoscaling, guardrails),
 * `--batch-transform IN OUT` runs a Batch Transform job, `--dry-run` prints the plan, `--teardown`
 * removes what it made, and `--write-policies DIR` writes the IAM policies it needs. `--help` lists
 * every option.
 * @module
 */
import { pathToFileURL } from 'node:url';
import { ConfigInvalidError } from '../src/core/errors.js';
import { spawnCommand } from './sagemaker/docker.js';
import { type DeployOptions, HelpShownError, parseDeployArgs } from './sagemaker/options.js';
import { accountOfArn, type PolicyValues, splitS3Uri, writePolicies } from './sagemaker/policies.js';
import {
  batchTransform,
  createClients,
  type DeployDeps,
  deploymentPlan,
  deploySageMaker,
} from './sagemaker/run.js';
import { teardownEndpoint } from './sagemaker/teardown.js';

/** Fills the policy placeholders from whatever options were given. */
export function policyValues(options: DeployOptions): PolicyValues {
  const values: PolicyValues = {
    Region: options.region,
    Repository: options.repository,
    EndpointName: options.endpointName,
  };
  const s3 = options.s3 ?? options.modelDataUrl;
  if (s3) Object.assign(values, { Bucket: splitS3Uri(s3).bucket, Prefix: splitS3Uri(s3).prefix });
  if (options.roleArn)
    Object.assign(values, { RoleArn: options.roleArn, Account: accountOfArn(options.roleArn) });
  const [input, output] = options.batchTransform ?? [];
  if (input)
    Object.assign(values, { InputBucket: splitS3Uri(input).bucket, InputPrefix: splitS3Uri(input).prefix });
  if (output)
    Object.assign(values, {
      OutputBucket: splitS3Uri(output).bucket,
      OutputPrefix: splitS3Uri(output).prefix,
    });
  return values;
}

/**
 * Runs the script for already-parsed options: print policies, tear down, or deploy.
 * @returns the process exit code
 */
export async function runDeployCli(options: DeployOptions, deps: DeployDeps): Promise<number> {
  if (options.writePolicies !== undefined) {
    const written = await writePolicies(options.writePolicies, policyValues(options));
    deps.log(`wrote ${written.files.join(', ')}\ncreate them with:\n${written.commands.join('\n')}`);
    return 0;
  }
  if (options.dryRun) {
    deps.log(JSON.stringify(await deploymentPlan(options), null, 2));
    return 0;
  }
  if (options.teardown) {
    const deleted = await teardownEndpoint(deps.clients, options.endpointName, deps.log);
    const count =
      (deleted.endpoint ? 1 : 0) +
      deleted.endpointConfigs.length +
      deleted.models.length +
      deleted.alarms.length +
      (deleted.scaling ? 1 : 0);
    deps.log(`teardown of ${options.endpointName}: ${count} resource(s) deleted`);
    return 0;
  }
  if (options.batchTransform) {
    const job = await batchTransform(options, deps);
    deps.log(`done: transform job ${job.job}; answers in ${job.output} (one .out file per input file)`);
    return 0;
  }
  const result = await deploySageMaker(options, deps);
  deps.log(
    `done: endpoint ${result.endpoint.name} ${result.endpoint.status} (${result.endpoint.result}), ` +
      `invoke it with: aws sagemaker-runtime invoke-endpoint --endpoint-name ${result.endpoint.name} ` +
      `--content-type application/json --cli-binary-format raw-in-base64-out --body '${options.smokeBody}' out.json`,
  );
  return 0;
}

async function main(argv: readonly string[]): Promise<number> {
  const log = (line: string): void => console.log(line);
  try {
    const options = parseDeployArgs(argv);
    return await runDeployCli(options, {
      clients: createClients(options.region),
      runCommand: spawnCommand,
      log,
    });
  } catch (error) {
    if (error instanceof HelpShownError) return 0;
    console.error(`deploy:sagemaker failed: ${error instanceof Error ? error.message : String(error)}`);
    return error instanceof ConfigInvalidError ? 2 : 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
