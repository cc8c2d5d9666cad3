/**
 * The training image, pinned by digest: a given `repo@sha256:...` as is, a given `repo:tag` through
 * ECR DescribeImages, or else the image pushed last to the repository (`npm run deploy:sagemaker`
 * pushes the same image the endpoint runs). A job then runs exactly the bytes it was submitted with.
 * @module
 */
import {
  DescribeImagesCommand,
  type DescribeImagesCommandOutput,
  DescribeRepositoriesCommand,
  type ECRClient,
  type ImageDetail,
} from '@aws-sdk/client-ecr';
import { ConfigInvalidError } from '../../src/core/errors.js';

/** `123456789012.dkr.ecr.us-east-1.amazonaws.com/video-recommender:tag` -> repository name and tag. */
export function parseImageUri(uri: string): {
  repositoryUri: string;
  repository: string;
  tag?: string;
  digest?: string;
} {
  const match =
    /^([^/]+)\/([a-z0-9][a-z0-9._/-]*?)(?::([\w][\w.-]{0,127}))?(?:@(sha256:[0-9a-f]{64}))?$/.exec(uri);
  if (!match)
    throw new ConfigInvalidError(
      `--image must look like registry/repository:tag or registry/repository@sha256:..., got ${uri}`,
    );
  const [, registry, repository, tag, digest] = match as unknown as [
    string,
    string,
    string,
    string?,
    string?,
  ];
  return {
    repositoryUri: `${registry}/${repository}`,
    repository,
    ...(tag ? { tag } : {}),
    ...(digest ? { digest } : {}),
  };
}

async function allImages(ecr: ECRClient, repository: string): Promise<ImageDetail[]> {
  const images: ImageDetail[] = [];
  let nextToken: string | undefined;
  do {
    const page: DescribeImagesCommandOutput = await ecr.send(
      new DescribeImagesCommand({ repositoryName: repository, nextToken }),
    );
    images.push(...(page.imageDetails ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return images;
}

/**
 * The image as `repositoryUri@sha256:...`.
 * @param image - `--image`, or undefined for the newest image in `repository`
 * @throws ConfigInvalidError when the tag or the repository holds no image
 */
export async function resolveImage(
  ecr: ECRClient,
  image: string | undefined,
  repository: string,
): Promise<string> {
  try {
    return await pinImage(ecr, image, repository);
  } catch (error) {
    const name = (error as { name?: unknown }).name;
    if (name === 'RepositoryNotFoundException' || name === 'ImageNotFoundException') {
      throw new ConfigInvalidError(
        `ECR has no ${image ?? `repository ${repository}`}: push the image with npm run deploy:sagemaker, or give --image`,
        { cause: error },
      );
    }
    throw error;
  }
}

async function pinImage(ecr: ECRClient, image: string | undefined, repository: string): Promise<string> {
  if (image !== undefined) {
    const parsed = parseImageUri(image);
    if (parsed.digest) return `${parsed.repositoryUri}@${parsed.digest}`;
    const described = await ecr.send(
      new DescribeImagesCommand({
        repositoryName: parsed.repository,
        imageIds: [{ imageTag: parsed.tag ?? 'latest' }],
      }),
    );
    const digest = described.imageDetails?.[0]?.imageDigest;
    if (!digest) throw new ConfigInvalidError(`ECR has no image ${image}`);
    return `${parsed.repositoryUri}@${digest}`;
  }
  const found = await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [repository] }));
  const uri = found.repositories?.[0]?.repositoryUri;
  const newest = (await allImages(ecr, repository))
    .filter((i) => i.imageDigest)
    .sort((a, b) => (b.imagePushedAt?.getTime() ?? 0) - (a.imagePushedAt?.getTime() ?? 0))[0];
  if (!uri || !newest?.imageDigest) {
    throw new ConfigInvalidError(
      `ECR repository ${repository} holds no image: push one with npm run deploy:sagemaker, or give --image`,
    );
  }
  return `${uri}@${newest.imageDigest}`;
}
