/** XML text for Query API answers. A node is an element name with text, children, or a list of members. */
export type XmlValue = string | number | boolean | Date | XmlFields | XmlList | undefined;
export interface XmlFields {
  readonly [name: string]: XmlValue;
}
/** Rendered as `<member>...</member>` items, as the Query protocol does for lists. */
export class XmlList {
  readonly items: readonly XmlValue[];
  constructor(items: readonly XmlValue[]) {
    this.items = items;
  }
}

export const AUTOSCALING_XMLNS = 'http://autoscaling.amazonaws.com/doc/2011-01-01/';

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function renderValue(value: XmlValue): string {
  if (value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (value instanceof XmlList) return value.items.map((item) => `<member>${renderValue(item)}</member>`).join('');
  if (typeof value === 'object') return renderFields(value);
  return escapeXml(String(value));
}

export function renderFields(fields: XmlFields): string {
  let out = '';
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    out += `<${name}>${renderValue(value)}</${name}>`;
  }
  return out;
}

/** `<XResponse xmlns=..><XResult>..</XResult><ResponseMetadata>..</ResponseMetadata></XResponse>`. */
export function renderResponse(action: string, result: XmlFields | undefined, requestId: string): string {
  const body = result === undefined ? '' : `<${action}Result>${renderFields(result)}</${action}Result>`;
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${AUTOSCALING_XMLNS}">${body}` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`
  );
}

export function renderError(type: string, code: string, message: string, requestId: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${AUTOSCALING_XMLNS}"><Error><Type>${escapeXml(type)}</Type>` +
    `<Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error>` +
    `<RequestId>${requestId}</RequestId></ErrorResponse>`
  );
}
