/**
 * What each problem type means and what to do about it: the text behind the `type` link of every API error
 * (`/docs/errors#<id>`). A test checks that every type in functions/api/problem.ts is described here.
 */

export interface ProblemDoc {
  id: string;
  title: string;
  /** HTTP status codes that carry it */
  status: number[];
  when: string;
  fix: string;
}

export const PROBLEM_DOCS: ProblemDoc[] = [
  {
    id: 'invalid-parameter',
    title: 'Invalid parameter',
    status: [400],
    when: 'A query parameter has a value outside its bounds or enum, is malformed, empty or given twice, or contradicts another parameter (class and layer together, sample without init=sample, min not below max, an unknown class label).',
    fix: '`parameter` names the one at fault and `allowed` says what it accepts (enum values or minimum/maximum, or the list of labels). The API reference on /docs/ lists every bound.',
  },
  {
    id: 'unknown-parameter',
    title: 'Unknown parameter',
    status: [400],
    when: 'The query contains a name the endpoint does not take. A typo is never ignored silently, since a misspelled parameter would otherwise fall back to its default and give a different image under a similar-looking URL.',
    fix: 'The `detail` suggests the nearest accepted name; `allowed` lists them all.',
  },
  {
    id: 'unknown-model',
    title: 'Unknown model',
    status: [404],
    when: 'The `model` id is not in the registry.',
    fix: '`allowed` lists the known ids; /api/v1/models describes them.',
  },
  {
    id: 'not-found',
    title: 'Not found',
    status: [404],
    when: 'There is no endpoint at that path, or no test image with that index.',
    fix: 'Check the path against the reference; test images run from 0 to count − 1 (see /api/v1/samples).',
  },
  {
    id: 'over-budget',
    title: 'Request over the budget',
    status: [422],
    when: 'The request would need more CPU time (MAX_CPU_MS, 5,000 ms by default), more memory (MAX_MEMORY_MB, 64 MiB) or a larger response (MAX_RESPONSE_MB, 16 MiB) than one request may use, as estimated from the model\'s size before any work is done: its steps and restarts, plus the pixels of every frame of an animation, or the forward passes over the test images of a first exemplar listing; for memory and size, the image grid of `pick=all` at its `scale` and colour map, or the numbers of a JSON result (two per class per image listed). A request that leaves out `steps` runs as many of the default 256 as fit instead, with a warning; an upload whose default request does not fit is refused at upload.',
    fix: 'Lower `steps` or `restarts` (or `frames` and `scale` of an animation; GET /api/v1/models/{id} gives `budget.maxSteps` and `budget.maxRestarts`); for memory or size, lower `scale` or `restarts`, or use `pick=best`. The problem carries `limit` and `requested` for each resource over its limit: `cpuMs` in CPU milliseconds, `memoryBytes` and `responseBytes` in bytes.',
  },
  {
    id: 'invalid-image',
    title: 'Invalid image',
    status: [400],
    when: 'An image given in `x` does not hold exactly one byte per input value, or a posted PNG cannot be decoded or has the wrong size.',
    fix: 'Send 8-bit pixels of the model\'s input shape, row-major (784 bytes for 28×28), as base64url; or a PNG of that width and height.',
  },
  {
    id: 'invalid-model',
    title: 'Invalid ONNX model',
    status: [400],
    when: 'An uploaded file is not a readable ONNX model (damaged protobuf, missing graph, inputs or outputs).',
    fix: 'Export the model again (tf2onnx, torch.onnx.export) and check it with onnx.checker.',
  },
  {
    id: 'unsupported-model',
    title: 'Unsupported model',
    status: [422],
    when: 'The gradient compiler cannot differentiate the model (checked at upload and at first use): an operator without a vector-Jacobian rule, an unsupported attribute, or shapes it cannot infer.',
    fix: 'The `detail` names the operator, node or attribute. The gradient compiler (npm run grad) gives the same message locally.',
  },
  {
    id: 'payload-too-large',
    title: 'Payload too large',
    status: [413],
    when: 'A request body is larger than the endpoint accepts: 1 MiB for a PNG sent to /api/v1/predict, 16 MiB for an uploaded model.',
    fix: 'Send a smaller file; images only need the model\'s input size.',
  },
  {
    id: 'forbidden',
    title: 'Forbidden',
    status: [403],
    when: 'The request asks for something no token allows, such as deleting a built-in model.',
    fix: 'Only uploaded models can be deleted; built-in models are part of the deployment.',
  },
  {
    id: 'unauthorized',
    title: 'Unauthorized',
    status: [401],
    when: 'The request needs credentials it did not carry or that do not match: uploads on a deployment with an upload token, deleting an upload.',
    fix: 'Send `Authorization: Bearer <token>`: the deployment\'s upload token, or for a delete the deleteToken the upload returned.',
  },
  {
    id: 'unsupported-media-type',
    title: 'Unsupported media type',
    status: [415],
    when: 'A body was sent with a Content-Type the endpoint does not read.',
    fix: 'POST images to /api/v1/predict as image/png; models to /api/v1/models as application/octet-stream or multipart/form-data.',
  },
  {
    id: 'method-not-allowed',
    title: 'Method not allowed',
    status: [405],
    when: 'The endpoint exists but not for this HTTP method.',
    fix: 'The reference lists the methods of every path.',
  },
  {
    id: 'non-finite-result',
    title: 'Non-finite result',
    status: [422],
    when: 'The model\'s scores or the search\'s numbers became NaN or infinite during the computation (an uploaded model that overflows for some inputs, or regularizer weights that blow up). Nothing is cached and no image is served.',
    fix: 'Narrow the value range (`min`, `max`), lower `lr` or the regularizer weights; for an uploaded model, check that it gives finite scores over the whole pixel range it was described with.',
  },
  {
    id: 'too-many-requests',
    title: 'Too many requests',
    status: [429],
    when: 'This client has started more computations (requests that miss the cache) or uploads than the deployment allows per minute. Cached results are never limited.',
    fix: 'Wait the number of seconds in the `Retry-After` header. The limits are set in wrangler.toml (`[[ratelimits]]`).',
  },

  {
    id: 'internal-error',
    title: 'Internal error',
    status: [500, 503],
    when: 'Something failed on the server that the request did not cause (500; it is logged and the response does not leak internals), or a feature is not configured on this deployment (503).',
    fix: 'Try again; if it persists, report the URL.',
  },
];
