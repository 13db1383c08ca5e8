export { keyView } from "./common";
export { createKey, rotateKey } from "./create";
export { noteKeyUsed } from "./last-used";
export { onCredentialRevoked, onRevocation, type RevokedCredential } from "./revocation";
export { getKey, listKeys, revokeKey } from "./revoke";
export * from "./schemas";
