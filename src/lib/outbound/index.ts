export * from "./fetch";
export * from "./policy";
export { type Resolution, resolveAddresses } from "./resolve";
