/**
 * A reader of server-sent events from a fetch() body. EventSource cannot show the status code or the problem
 * JSON of a refused request, so the pages read the stream themselves.
 */

export interface SseEvent {
  event: string;
  data: string;
}

/** Splits a text/event-stream body into events (the `event:` and `data:` fields; comments and ids are skipped). */
export async function* sseEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let event = '';
  let data: string[] = [];
  const line = (text: string): SseEvent | undefined => {
    if (text === '') {
      const out = data.length ? { event: event || 'message', data: data.join('\n') } : undefined;
      event = '';
      data = [];
      return out;
    }
    if (text.startsWith(':')) return undefined;
    const colon = text.indexOf(':');
    const field = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    return undefined;
  };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      for (;;) {
        const nl = buffer.search(/\r\n|\n|\r/);
        if (nl < 0) break;
        // a lone \r at the end of the buffer may be the first half of \r\n: wait for the next chunk
        if (buffer[nl] === '\r' && nl === buffer.length - 1 && !done) break;
        const text = buffer.slice(0, nl);
        buffer = buffer.slice(nl + (buffer.startsWith('\r\n', nl) ? 2 : 1));
        const out = line(text);
        if (out) yield out;
      }
      if (done) {
        if (buffer !== '') line(buffer);
        const last = line('');
        if (last) yield last;
        return;
      }
    }
  } finally {
    reader.releaseLock();
  }
}
