/**
 * The IAM policy documents in deploy/policies/, rendered with the values a deploy knows.
 * @module
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** Policy files in print order, with what each is for. */
export const POLICY_FILES = [
  { file: 'execution-role-trust.json', title: 'Execution role: trust policy' },
  { file: 'execution-role.json', title: 'Execution role: permissions (S3 model prefix, ECR pull, logs)' },
  { file: 'deployer.json', title: 'Whoever runs npm run deploy:sagemaker' },
  {
    file: 'batch-transform.json',
    title: 'Execution role, for --batch-transform: read its input, write its output',
  },
] as const;

/** Values substituted for `${Name}` placeholders; missing ones stay as placeholders. */
export type PolicyValues = Partial<
  Record<
    | 'Bucket'
    | 'Prefix'
    | 'Region'
    | 'Account'
    | 'Repository'
    | 'RoleArn'
    | 'EndpointName'
    | 'InputBucket'
    | 'InputPrefix'
    | 'OutputBucket'
    | 'OutputPrefix',
    string
  >
>;

/** Splits `s3://bucket/prefix/` into bucket and prefix (no leading or trailing slash). */
export function splitS3Uri(uri: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!match) throw new Error(`not an s3:// URI: ${uri}`);
  return { bucket: match[1] ?? '', prefix: (match[2] ?? '').replace(/^\/+|\/+$/g, '') };
}

/**
 * Reads every policy document and fills its placeholders.
 * @returns title and rendered JSON per document, checked to parse
 */
export async function renderPolicies(
  values: PolicyValues,
  directory: URL = new URL('../policies/', import.meta.url),
): Promise<{ title: string; file: string; json: string }[]> {
  const out: { title: string; file: string; json: string }[] = [];
  for (const { file, title } of POLICY_FILES) {
    let template = await readFile(new URL(file, directory), 'utf8');
    // A root at the bucket itself: `${Prefix}/*` is then just `*`.
    for (const [name, value] of Object.entries(values))
      if (value === '') template = template.replaceAll(`\${${name}}/`, '');
    const json = template.replace(
      /\$\{(\w+)\}/g,
      (whole, name: string) => values[name as keyof PolicyValues] ?? whole,
    );
    JSON.parse(json);
    out.push({ title, file, json });
  }
  return out;
}

/** The account id inside an IAM role ARN. */
export function accountOfArn(arn: string): string | undefined {
  return /^arn:aws[a-z-]*:iam::(\d{12}):/.exec(arn)?.[1];
}

/** The `aws iam` commands that create the roles and policies from files written to `dir`. */
function iamCommands(dir: string, endpointName: string): string[] {
  const file = (name: string) => `file://${join(dir, name)}`;
  const role = `${endpointName}-sagemaker`;
  return [
    `aws iam create-role --role-name ${role} --assume-role-policy-document ${file('execution-role-trust.json')}`,
    `aws iam put-role-policy --role-name ${role} --policy-name model-and-image --policy-document ${file('execution-role.json')}`,
    `aws iam put-role-policy --role-name ${role} --policy-name batch-transform --policy-document ${file('batch-transform.json')}   # only for --batch-transform`,
    `aws iam create-policy --policy-name ${endpointName}-deployer --policy-document ${file('deployer.json')}`,
  ];
}

/**
 * Writes every rendered policy to `dir` (one JSON document per file, as `aws iam` takes it).
 * @returns the files written and the commands that create the role and policies from them
 */
export async function writePolicies(
  dir: string,
  values: PolicyValues,
): Promise<{ files: string[]; commands: string[] }> {
  const target = resolve(dir);
  await mkdir(target, { recursive: true });
  const files: string[] = [];
  for (const policy of await renderPolicies(values)) {
    const file = join(target, policy.file);
    await writeFile(file, policy.json.endsWith('\n') ? policy.json : `${policy.json}\n`);
    files.push(file);
  }
  return { files, commands: iamCommands(target, values.EndpointName ?? 'video-recommender') };
}
