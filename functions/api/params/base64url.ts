/** base64url query values (x, mask): decoded, or a 400 problem naming the parameter. */
import { Base64UrlError, decodeBase64Url as decode } from '../../encode/base64url.js';
import { ApiProblem, PROBLEM } from '../problem.js';

export function decodeBase64Url(text: string, parameter: string): Uint8Array {
  try {
    return decode(text);
  } catch (e) {
    if (!(e instanceof Base64UrlError)) throw e;
    throw new ApiProblem(400, PROBLEM.badParameter, `Parameter "${parameter}" is not valid base64url (${e.message}).`, { parameter });
  }
}
