/**
 * A local Serverless Framework plugin (serverless.yml `plugins`) for what the Lambda stack needs in
 * production, written in TypeScript in deploy/lambda-operations.ts and loaded through tsx:
 * `live` aliases (provisioned concurrency, canary traffic shifting through CodeDeploy), reserved
 * concurrency and CloudWatch alarms, added to the compiled template before serverless saves it.
 *
 * It also teaches serverless 3.40's configuration schema the `nodejs22.x` runtime (Lambda, serverless-
 * esbuild and serverless-offline support it; only the schema predates it), so serverless.yml can be
 * validated strictly (`configValidationMode: error`) without a warning on every run.
 */
'use strict';

const tsx = require('tsx/cjs/api');

class OperationsPlugin {
  constructor(serverless) {
    this.serverless = serverless;
    const runtimes = serverless.configSchemaHandler.schema.definitions.awsLambdaRuntime?.enum;
    if (Array.isArray(runtimes) && !runtimes.includes('nodejs22.x')) runtimes.push('nodejs22.x');
    serverless.configSchemaHandler.defineCustomProperties({
      type: 'object',
      properties: { operations: { type: 'object' } },
      required: ['operations'],
    });
    this.hooks = {
      'before:aws:package:finalize:saveServiceState': () => this.apply(),
    };
  }

  apply() {
    const { applyOperations, operationsSettings } = tsx.require('./lambda-operations.ts', __filename);
    const settings = operationsSettings(this.serverless.service.custom.operations);
    applyOperations(this.serverless.service.provider.compiledCloudFormationTemplate, settings);
  }
}

module.exports = OperationsPlugin;
