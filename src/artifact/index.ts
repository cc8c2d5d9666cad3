/**
 * The artifact format (version 2, reading version 1 too): encode a model for publishing, decode and
 * verify one for serving, and the user blocks read on demand.
 * @module
 */
export { sha256Hex, sizeMismatch } from './checks.js';
export {
  decodeItems,
  formatVersionOf,
  type ItemSideView,
  type MetadataIndexJson,
  parseManifest,
  verifyItems,
  viewItems,
} from './decode.js';
export {
  buildManifest,
  type EncodedArtifact,
  encodeItems,
  encodeModel,
  type ItemSide,
  type ManifestInput,
} from './encode.js';
export {
  FORMAT_VERSION,
  type IndexInfo,
  ITEMS_FILE,
  MANIFEST_FILE,
  type Manifest,
  POINTER_FILE,
  type Pointer,
  pointerFor,
  pointerSchema,
  type Section,
  USERS_FILE,
  V1_FORMAT_VERSION,
  versionDir,
  versionIdSchema,
} from './format.js';
export {
  blockDigest,
  blockOf,
  USER_BLOCK_TARGET_BYTES,
  UserBlock,
  UserBlockWriter,
  type UserDirectory,
  type UserEntry,
  type UserRecord,
} from './user-blocks.js';
export { decodeV1Model, parseV1Manifest, V1_BUNDLE_FILE, type V1Manifest, type V1Model } from './v1.js';
