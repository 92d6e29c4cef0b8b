/**
 * AMD_VISIBLE_DEVICES and DOCKER_RESOURCE_* → DeviceRequests.
 * (Stub: the request-model work fills this in; the signature is the contract.)
 */
import type { RequestInput, RequestParseResult } from "../../request/types.js";

export function parseAmdRequests(_input: RequestInput): RequestParseResult {
  return { requests: [], errors: [] };
}
