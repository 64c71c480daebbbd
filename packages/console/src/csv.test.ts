import { describe, expect, it } from 'vitest';
import { cellGrid, csvField, fileNamePart, toCsv } from './csv.ts';

describe('toCsv', () => {
  it('writes a header and rows with CRLF line ends, quoting only what needs it', () => {
    expect(
      toCsv([
        ['Stage', 'Customers', 'From start'],
        ['1. discovery', '1234', '0.4567'],
        ['a, b', 'say "hi"', 'two\nlines'],
        ['', 'ok', 'cr\rhere'],
      ]),
    ).toBe(
      'Stage,Customers,From start\r\n1. discovery,1234,0.4567\r\n"a, b","say ""hi""","two\nlines"\r\n,ok,"cr\rhere"\r\n',
    );
  });

  it('keeps every cell of a row in its column, however hostile', () => {
    const hostile = ['=HYPERLINK("http://evil.example","x")', '"', ',', '\r\n', '<script>'];
    const parsed = parseCsv(toCsv([hostile, ['1', '2', '3', '4', '5']]));
    expect(parsed).toEqual([
      ['\'=HYPERLINK("http://evil.example","x")', '"', ',', "'\r\n", '<script>'],
      ['1', '2', '3', '4', '5'],
    ]);
  });
});

describe('csvField', () => {
  it('neutralises what a spreadsheet would run as a formula (OWASP: = + - @ tab CR)', () => {
    expect(csvField('=1+1')).toBe("'=1+1");
    expect(csvField('+41 22')).toBe("'+41 22");
    expect(csvField('-2+3')).toBe("'-2+3");
    expect(csvField('@SUM(A1:A9)')).toBe("'@SUM(A1:A9)");
    expect(csvField('\t=1')).toBe("'\t=1");
    expect(csvField('\r=1')).toBe('"\'\r=1"');
    expect(csvField("=cmd|' /C calc'!A0")).toBe("'=cmd|' /C calc'!A0");
    expect(csvField('a=1')).toBe('a=1');
  });

  it('leaves plain numbers, negative ones included, as numbers', () => {
    expect(csvField('-0.0312')).toBe('-0.0312');
    expect(csvField('-12')).toBe('-12');
    expect(csvField('1.5e-7')).toBe('1.5e-7');
    expect(csvField('-1e+3')).toBe('-1e+3');
    expect(csvField('-1-1')).toBe("'-1-1");
  });
});

describe('cellGrid', () => {
  const cell = (value: string, rowSpan = 1, colSpan = 1) => ({ value, rowSpan, colSpan });

  it('keeps every value under its column when header cells span rows and columns', () => {
    expect(
      cellGrid([
        [cell('Stage', 2), cell('organic (10 entered)', 1, 2), cell('paid (4 entered)', 1, 2)],
        [cell('Customers'), cell('From start'), cell('Customers'), cell('From start')],
        [cell('1. discovery'), cell('10'), cell('1'), cell('4'), cell('1')],
      ]),
    ).toEqual([
      ['Stage', 'organic (10 entered)', '', 'paid (4 entered)', ''],
      ['', 'Customers', 'From start', 'Customers', 'From start'],
      ['1. discovery', '10', '1', '4', '1'],
    ]);
  });

  it('fills a row that is cut short by a span of zero or past the last row', () => {
    expect(cellGrid([[cell('a', 5), cell('b', 1, 0)], [cell('c')]])).toEqual([
      ['a', 'b'],
      ['', 'c'],
    ]);
  });
});

describe('fileNamePart', () => {
  it('keeps letters and digits, one dash for anything else', () => {
    expect(fileNamePart('Stage funnel table')).toBe('stage-funnel-table');
    expect(fileNamePart('  Who dropped? (page 2) ')).toBe('who-dropped-page-2');
    expect(fileNamePart('../../etc/passwd')).toBe('etc-passwd');
  });
});

/** A plain RFC 4180 reader, written apart from the writer, to check the writer round-trips. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  return rows;
}
