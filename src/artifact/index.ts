/**
 * The artifact format: encode a model for publishing, decode and verify one for serving.
 * @module
 */
export { decodeModel, type LoadedModel, parseManifest } from './decode.js';
export { type EncodedArtifact, encodeModel, type ManifestInput } from './encode.js';
export {
  BUNDLE_FILE,
  FORMAT_VERSION,
  MANIFEST_FILE,
  type Manifest,
  POINTER_FILE,
  type Pointer,
  pointerFor,
  type Section,
  versionDir,
} from './format.js';
