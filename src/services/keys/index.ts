export { type KeyView, keyView } from "./common";
export {
  type CreatedKey,
  type CreateKeyInput,
  createKey,
  MAX_ROTATION_GRACE_SECONDS,
  rotateKey,
} from "./create";
export { noteKeyUsed } from "./last-used";
export { onCredentialRevoked, onRevocation, type RevokedCredential } from "./revocation";
export { getKey, listKeys, revokeKey, revokeKeysCreatedBy } from "./revoke";
