import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A span as an OTLP/HTTP trace export carried it. */
export interface ReceivedSpan {
  name: string;
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client. */
  kind: number;
  attributes: Record<string, unknown>;
  /** `service.name` of the resource the span came with. */
  service: string;
}

/** A local OTLP/HTTP trace endpoint: a real node:http server on 127.0.0.1 decoding protobuf and JSON exports. */
export interface OtlpReceiver {
  /** Base URL, e.g. `http://127.0.0.1:4318` (exports go to `/v1/traces`). */
  url: string;
  spans: ReceivedSpan[];
  requests: { path: string; contentType: string }[];
  close(): Promise<void>;
}

export async function otlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const requests: OtlpReceiver['requests'] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const contentType = req.headers['content-type'] ?? '';
      requests.push({ path: req.url ?? '', contentType });
      try {
        spans.push(...(contentType.includes('json') ? fromJson(JSON.parse(body.toString('utf8'))) : fromProtobuf(body)));
      } catch (error) {
        res.writeHead(400).end(String(error));
        return;
      }
      // An empty ExportTraceServiceResponse: zero bytes in protobuf, `{}` in JSON.
      if (contentType.includes('json')) res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      else res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, spans, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

// ------------------------------------------------------------------ JSON (OTLP/HTTP http/json)

interface JsonKeyValue {
  key: string;
  value: Record<string, unknown>;
}

function fromJson(doc: {
  resourceSpans?: { resource?: { attributes?: JsonKeyValue[] }; scopeSpans?: { spans?: Record<string, unknown>[] }[] }[];
}): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of doc.resourceSpans ?? []) {
    const service = textOf(jsonAttributes(rs.resource?.attributes)['service.name']);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        out.push({
          name: String(s.name),
          traceId: String(s.traceId),
          spanId: String(s.spanId),
          parentSpanId: textOf(s.parentSpanId),
          kind: Number(s.kind),
          attributes: jsonAttributes(s.attributes as JsonKeyValue[] | undefined),
          service,
        });
      }
    }
  }
  return out;
}

/** A decoded field as text: '' when absent, JSON for anything that is not a string or number. */
function textOf(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' || typeof value === 'number' ? String(value) : JSON.stringify(value);
}

function jsonAttributes(list: JsonKeyValue[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value } of list ?? []) {
    const v = value.stringValue ?? value.boolValue ?? value.intValue ?? value.doubleValue;
    out[key] = typeof value.intValue === 'string' ? Number(value.intValue) : v;
  }
  return out;
}

// ------------------------------------------------------------------ protobuf (OTLP/HTTP http/protobuf)

type Field = { no: number; wire: number; value: bigint | Buffer };

/** The fields of one protobuf message (wire format: varint, fixed64, length-delimited, fixed32). */
function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = buf[pos++];
      if (byte === undefined) throw new Error('truncated varint');
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (pos < buf.length) {
    const tag = Number(varint());
    const no = tag >>> 3;
    const wire = tag & 7;
    if (wire === 0) out.push({ no, wire, value: varint() });
    else if (wire === 1) {
      out.push({ no, wire, value: buf.subarray(pos, pos + 8) });
      pos += 8;
    } else if (wire === 2) {
      const len = Number(varint());
      out.push({ no, wire, value: buf.subarray(pos, pos + len) });
      pos += len;
    } else if (wire === 5) {
      out.push({ no, wire, value: buf.subarray(pos, pos + 4) });
      pos += 4;
    } else throw new Error(`unexpected wire type ${wire} at ${pos}`);
    if (pos > buf.length) throw new Error('truncated message');
  }
  return out;
}

const sub = (list: Field[], no: number): Buffer[] => list.filter((f) => f.no === no && f.wire === 2).map((f) => f.value as Buffer);
const one = (list: Field[], no: number): Field | undefined => list.find((f) => f.no === no);

function protoAttributes(list: Buffer[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kvBuf of list) {
    const kv = fields(kvBuf);
    const key = sub(kv, 1)[0]?.toString('utf8') ?? '';
    const any = fields(sub(kv, 2)[0] ?? Buffer.alloc(0));
    const f = any[0];
    if (!f) continue;
    if (f.no === 1) out[key] = (f.value as Buffer).toString('utf8');
    else if (f.no === 2) out[key] = f.value === 1n;
    else if (f.no === 3) out[key] = Number(BigInt.asIntN(64, f.value as bigint));
    else if (f.no === 4) out[key] = (f.value as Buffer).readDoubleLE(0);
  }
  return out;
}

function fromProtobuf(body: Buffer): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rsBuf of sub(fields(body), 1)) {
    const rs = fields(rsBuf);
    const resource = fields(sub(rs, 1)[0] ?? Buffer.alloc(0));
    const service = textOf(protoAttributes(sub(resource, 1))['service.name']);
    for (const ssBuf of sub(rs, 2)) {
      for (const spanBuf of sub(fields(ssBuf), 2)) {
        const s = fields(spanBuf);
        out.push({
          traceId: sub(s, 1)[0]?.toString('hex') ?? '',
          spanId: sub(s, 2)[0]?.toString('hex') ?? '',
          parentSpanId: sub(s, 4)[0]?.toString('hex') ?? '',
          name: sub(s, 5)[0]?.toString('utf8') ?? '',
          kind: Number((one(s, 6)?.value as bigint | undefined) ?? 0n),
          attributes: protoAttributes(sub(s, 9)),
          service,
        });
      }
    }
  }
  return out;
}
