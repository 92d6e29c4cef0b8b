/**
 * ASCEND_VISIBLE_DEVICES, ASCEND_RUNTIME_OPTIONS, ASCEND_RUNTIME_MOUNTS, ASCEND_ALLOW_LINK → DeviceRequests.
 * (Stub: the request-model work fills this in; the signature is the contract.)
 */
import type { RequestInput, RequestParseResult } from "../../request/types.js";

export function parseAscendRequests(_input: RequestInput): RequestParseResult {
  return { requests: [], errors: [] };
}
