/**
 * The IAM policy documents in deploy/policies/, rendered with the values a deploy knows.
 * @module
 */
import { readFile } from 'node:fs/promises';

/** Policy files in print order, with what each is for. */
export const POLICY_FILES = [
  { file: 'execution-role-trust.json', title: 'Execution role: trust policy' },
  { file: 'execution-role.json', title: 'Execution role: permissions (S3 model prefix, ECR pull, logs)' },
  { file: 'deployer.json', title: 'Whoever runs npm run deploy:sagemaker' },
] as const;

/** Values substituted for `${Name}` placeholders; missing ones stay as placeholders. */
export type PolicyValues = Partial<
  Record<'Bucket' | 'Prefix' | 'Region' | 'Account' | 'Repository' | 'RoleArn' | 'EndpointName', string>
>;

/** Splits `s3://bucket/prefix/` into bucket and prefix (no leading slash, trailing slash kept as given). */
export function splitS3Uri(uri: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!match) throw new Error(`not an s3:// URI: ${uri}`);
  return { bucket: match[1] ?? '', prefix: match[2] ?? '' };
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
    const template = await readFile(new URL(file, directory), 'utf8');
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
