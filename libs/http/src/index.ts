export {
  PROBLEM_CONTENT_TYPE,
  ProblemException,
  defaultProblem,
  problemType,
  type ProblemDetails,
  type ProblemItem,
} from './problem-details';
export {
  ProblemDetailsFilter,
  requestIdOf,
  toProblem,
  type ProblemMembers,
} from './problem-details.filter';
export { MAX_JSON_DEPTH, jsonDeeperThan, parseJsonBody } from './json-body';
export {
  WebhookHeader,
  describeFetchError,
  postSignedWebhook,
  signWebhook,
  verifyWebhook,
  type WebhookResult,
} from './signed-webhook';
export { JSON_BODY_LIMIT, StreamedOrJsonBodyParsers } from './streamed-or-json-body.parsers';
export { invalidInput, parseInput, pointerOf, problemItems } from './zod-input';
export { OutboundAddressError, OutboundPolicy, parseCidr } from './outbound/outbound-policy';
export { outboundFetch, type OutboundFetch } from './outbound/outbound-fetch';
export { assertOutboundUrlAllowed, type OutboundUrlOptions } from './outbound/outbound-url';
export { embeddedIpv4 } from './outbound/embedded-ipv4';
export {
  nameUnsafeTextReason,
  storeSafeText,
  storeUnsafeStrings,
  storeUnsafeTextReason,
} from './text/store-safe-text';
