#!/usr/bin/env python3
"""Writes EtlFast's own BSON decode corpus (bson-*.json beside this script).

Each case is built here from parts whose meaning is spelled out by hand: the expected elements of
valid cases and the kind, offset (from the document's first byte) and dotted path of decode errors
are written independently of the C# reader under test. Run: python3 make_corpus.py
"""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def i32(v): return struct.pack('<i', v)
def i64(v): return struct.pack('<q', v)
def u64(v): return struct.pack('<Q', v)
def f64(v): return struct.pack('<d', v)
def cstr(s): return (s.encode() if isinstance(s, str) else s) + b'\0'


def string(s):
    b = s.encode() if isinstance(s, str) else s
    return i32(len(b) + 1) + b + b'\0'


def doc(*elems):
    body = b''.join(elems)
    return i32(len(body) + 5) + body + b'\0'


def el(t, name, value): return bytes([t]) + cstr(name) + value


def binary(sub, payload): return i32(len(payload)) + bytes([sub]) + payload
def cws(code, scope):
    body = string(code) + scope
    return i32(len(body) + 4) + body


OID = bytes.fromhex('5f1e2d3c4b5a69788796a5b4')
OIDH = OID.hex()
UUID = bytes.fromhex('00112233445566778899aabbccddeeff')


def at(data, marker):
    """Offset of the single occurrence of marker in data."""
    first = data.find(marker)
    assert first >= 0 and data.find(marker, first + 1) < 0, (data.hex(), marker.hex())
    return first


files = {}


def group(name, title, type_byte):
    files[name] = {'description': title, 'bson_type': type_byte, 'valid': [], 'decodeErrors': []}
    return files[name]


def valid(g, description, data, elements):
    g['valid'].append({'description': description, 'bson': data.hex().upper(),
                       'elements': [list(e) for e in elements]})


def error(g, description, data, kind, offset, path=''):
    assert 0 <= offset <= len(data), (description, offset, len(data))
    g['decodeErrors'].append({'description': description, 'bson': data.hex().upper(),
                              'kind': kind, 'offset': offset, 'path': path})


# ---------------------------------------------------------------- double 0x01
g = group('double', 'Double type', '0x01')
for desc, v, text in [('+1.0', 1.0, '1'), ('-1.0', -1.0, '-1'), ('1.0001220703125', 1.0001220703125, '1.0001220703125'),
                      ('-0.0', -0.0, '-0'), ('largest finite', 1.7976931348623157e308, '1.7976931348623157E+308'),
                      ('smallest subnormal', 5e-324, '5E-324'), ('+Inf', float('inf'), 'Infinity'),
                      ('-Inf', float('-inf'), '-Infinity')]:
    valid(g, desc, doc(el(1, 'd', f64(v))), [('d', 'Double', text)])
valid(g, 'NaN', doc(el(1, 'd', u64(0x7FF8000000000000))), [('d', 'Double', 'NaN(7ff8000000000000)')])
valid(g, 'NaN with payload', doc(el(1, 'd', u64(0x7FF0000000000001))), [('d', 'Double', 'NaN(7ff0000000000001)')])
d = doc(el(1, 'd', f64(1.0)))
error(g, 'double truncated to 7 bytes', i32(len(d) - 1) + d[4:11] + d[12:], 'TruncatedValue', 7, 'd')
error(g, 'double with no value bytes at all', doc(el(1, 'd', b'')), 'TruncatedValue', 7, 'd')

# ---------------------------------------------------------------- string 0x02
g = group('string', 'String type', '0x02')
for desc, s in [('empty', ''), ('single character', 'a'), ('two-byte UTF-8 (U+00E9)', '\u00e9'),
                ('three-byte UTF-8 (U+20AC)', '\u20ac'), ('four-byte UTF-8 (U+1F600)', '\U0001F600'),
                ('embedded null byte', 'ab\0cd'), ('mixed scripts', 'Za\u017c\u00f3\u0142\u0107 \u65e5\u672c')]:
    valid(g, desc, doc(el(2, 'a', string(s))), [('a', 'String', s)])
error(g, 'length prefix 0', doc(el(2, 'a', i32(0) + b'\0')), 'InvalidStringLength', 7, 'a')
error(g, 'length prefix negative', doc(el(2, 'a', i32(-5) + b'b\0')), 'InvalidStringLength', 7, 'a')
error(g, 'length prefix int.MaxValue', doc(el(2, 'a', i32(0x7FFFFFFF) + b'b\0')), 'InvalidStringLength', 7, 'a')
error(g, 'length prefix one past the document', doc(el(2, 'a', i32(3) + b'b\0')), 'InvalidStringLength', 7, 'a')
error(g, 'last byte of string is not 0x00', doc(el(2, 'a', i32(2) + b'bc')), 'InvalidStringLength', 12, 'a')
error(g, 'length prefix cut short by the document end', doc(el(2, 'a', b'\x02\x00')), 'TruncatedValue', 7, 'a')
error(g, 'invalid UTF-8: lone continuation byte', doc(el(2, 'a', string(b'x\x80y'))), 'InvalidUtf8', 11, 'a')
error(g, 'invalid UTF-8: overlong encoding of "/"', doc(el(2, 'a', string(b'\xc0\xaf'))), 'InvalidUtf8', 11, 'a')
error(g, 'invalid UTF-8: encoded surrogate U+D800', doc(el(2, 'a', string(b'\xed\xa0\x80'))), 'InvalidUtf8', 11, 'a')
error(g, 'invalid UTF-8: truncated 3-byte sequence', doc(el(2, 'a', string(b'\xe2\x82'))), 'InvalidUtf8', 11, 'a')
error(g, 'invalid UTF-8: code point above U+10FFFF', doc(el(2, 'a', string(b'\xf4\x90\x80\x80'))), 'InvalidUtf8', 11, 'a')
two = doc(el(2, 'a', string('ok')), el(2, 'b', string(b'\xff')))
error(g, 'second string is the bad one', two, 'InvalidUtf8', at(two, b'\xff'), 'b')

# ---------------------------------------------------------------- document 0x03
g = group('document', 'Embedded document type', '0x03')
valid(g, 'empty subdocument', doc(el(3, 'x', doc())), [('x', 'Document', '')])
valid(g, 'subdocument with fields', doc(el(3, 'x', doc(el(2, '', string('b')), el(0x10, 'n', i32(7))))),
      [('x', 'Document', ''), ('x.', 'String', 'b'), ('x.n', 'Int32', '7')])
valid(g, 'unicode and dotted-looking field names', doc(el(3, '\u00e9t\u00e9', doc(el(8, 'a.b', b'\x01')))),
      [('\u00e9t\u00e9', 'Document', ''), ('\u00e9t\u00e9.a.b', 'Boolean', 'true')])
valid(g, 'three levels', doc(el(3, 'a', doc(el(3, 'b', doc(el(3, 'c', doc(el(10, 'z', b''))))))), el(0x10, 'after', i32(1))),
      [('a', 'Document', ''), ('a.b', 'Document', ''), ('a.b.c', 'Document', ''), ('a.b.c.z', 'Null', ''), ('after', 'Int32', '1')])
error(g, 'subdocument length prefix larger than the parent', doc(el(3, 'x', i32(6) + b'\0')), 'InvalidDocumentLength', 7, 'x')
error(g, 'subdocument length prefix 4', doc(el(3, 'x', i32(4) + b'\0')), 'InvalidDocumentLength', 7, 'x')
error(g, 'subdocument length prefix negative', doc(el(3, 'x', i32(-1) + b'\0')), 'InvalidDocumentLength', 7, 'x')
error(g, 'subdocument length prefix int.MinValue', doc(el(3, 'x', i32(-0x80000000) + b'\0')), 'InvalidDocumentLength', 7, 'x')
error(g, 'subdocument length prefix int.MaxValue', doc(el(3, 'x', i32(0x7FFFFFFF) + b'\0')), 'InvalidDocumentLength', 7, 'x')
error(g, 'subdocument length prefix cut short', doc(el(3, 'x', b'\x05\x00')), 'TruncatedValue', 7, 'x')
error(g, 'subdocument does not end with 0x00', doc(el(3, 'x', i32(6) + b'\x0a\x01')), 'MissingTerminator', 12, 'x')
error(g, 'element runs past the end of its subdocument', doc(el(3, 'x', i32(9) + b'\x10n\x00' + b'\x01' + b'\x00'), el(0x10, 'y', i32(0))),
      'TruncatedValue', 14, 'x.n')
error(g, 'unknown type inside a subdocument', doc(el(3, 'x', doc(el(0x15, 'y', b'')))), 'UnknownType', 11, 'x')
error(g, 'fault two levels down', doc(el(3, 'a', doc(el(3, 'b', doc(el(8, 'c', b'\x07')))))), 'InvalidBoolean', 21, 'a.b.c')
error(g, 'fault under an empty field name', doc(el(3, '', doc(el(8, 'x', b'\x03')))), 'InvalidBoolean', 13, '.x')
error(g, 'subdocument field name not UTF-8', doc(el(3, 'x', doc(el(10, b'\xfe', b'')))), 'InvalidUtf8', 12, 'x.\ufffd')
error(g, 'subdocument field name unterminated', doc(el(3, 'x', i32(7) + b'\x0ay' + b'\0')), 'UnterminatedName', 11, 'x')

# ---------------------------------------------------------------- array 0x04
g = group('array', 'Array type', '0x04')
valid(g, 'empty array', doc(el(4, 'a', doc())), [('a', 'Array', '')])
valid(g, 'mixed items', doc(el(4, 'a', doc(el(0x10, '0', i32(1)), el(2, '1', string('two')), el(10, '2', b'')))),
      [('a', 'Array', ''), ('a.0', 'Int32', '1'), ('a.1', 'String', 'two'), ('a.2', 'Null', '')])
valid(g, 'array of arrays', doc(el(4, 'm', doc(el(4, '0', doc(el(0x10, '0', i32(5))))))),
      [('m', 'Array', ''), ('m.0', 'Array', ''), ('m.0.0', 'Int32', '5')])
valid(g, 'array of documents', doc(el(4, 'messages', doc(el(3, '0', doc(el(2, 'body', string('hi'))))))),
      [('messages', 'Array', ''), ('messages.0', 'Document', ''), ('messages.0.body', 'String', 'hi')])
msgs = doc(el(4, 'messages', doc(*[el(3, str(i), doc(el(2, 'body', string('ok' if i != 2 else b'\xc3\x28')))) for i in range(4)])))
error(g, 'bad string in the third item of an array of documents', msgs, 'InvalidUtf8', at(msgs, b'\xc3\x28'), 'messages.2.body')
odd = doc(el(4, 'a', doc(el(0x10, 'x', i32(1)), el(0x10, 'y', i32(2)), el(8, 'z', b'\x09'))))
error(g, 'array items named by position whatever their keys', odd, 'InvalidBoolean', len(odd) - 3, 'a.2')
keys = doc(el(4, 'a', doc(el(10, '0', b''), el(10, b'\xff', b''))))
error(g, 'array key not UTF-8', keys, 'InvalidUtf8', at(keys, b'\xff'), 'a.1')
error(g, 'array length prefix larger than the parent', doc(el(4, 'a', i32(9) + b'\0')), 'InvalidDocumentLength', 7, 'a')
error(g, 'array does not end with 0x00', doc(el(4, 'a', i32(5) + b'\x01')), 'MissingTerminator', 11, 'a')
error(g, 'array item value truncated', doc(el(4, 'a', i32(10) + b'\x10' + b'0\0' + b'\x01\x00' + b'\0')), 'TruncatedValue', 14, 'a.0')

# ---------------------------------------------------------------- binary 0x05
g = group('binary', 'Binary type (every subtype)', '0x05')
for sub, payload in [(0x00, b''), (0x00, b'\x01\x02\x03'), (0x01, b'\xde\xad'), (0x03, UUID), (0x04, UUID), (0x05, bytes(range(16))),
                     (0x06, b'\x01enc'), (0x07, b'\x07\x00'), (0x08, b'secret'), (0x09, b'\x03\x00\x01\x02'),
                     (0x80, b'user'), (0xFF, b'\x00')]:
    valid(g, f'subtype 0x{sub:02x}, {len(payload)} bytes', doc(el(5, 'x', binary(sub, payload))),
          [('x', 'Binary', f'{sub:02x}:{payload.hex()}')])
valid(g, 'subtype 0x02 (old binary) with its inner length', doc(el(5, 'x', binary(2, i32(2) + b'\xff\xee'))), [('x', 'Binary', '02:ffee')])
valid(g, 'subtype 0x02 (old binary), empty', doc(el(5, 'x', binary(2, i32(0)))), [('x', 'Binary', '02:')])
error(g, 'length prefix negative', doc(el(5, 'x', i32(-1) + b'\x00')), 'InvalidBinaryLength', 7, 'x')
error(g, 'length prefix int.MaxValue', doc(el(5, 'x', i32(0x7FFFFFFF) + b'\x00')), 'InvalidBinaryLength', 7, 'x')
error(g, 'length prefix past the document', doc(el(5, 'x', i32(2) + b'\x00\x01')), 'InvalidBinaryLength', 7, 'x')
error(g, 'subtype byte missing', doc(el(5, 'x', i32(0))), 'TruncatedValue', 7, 'x')
error(g, 'subtype 0x02 inner length disagrees', doc(el(5, 'x', binary(2, i32(3) + b'\xff\xee'))), 'InvalidBinaryLength', 7, 'x')
error(g, 'subtype 0x02 with 3 bytes (too short for an inner length)', doc(el(5, 'x', binary(2, b'\xff\xff\xff'))), 'InvalidBinaryLength', 7, 'x')
error(g, 'subtype 0x02 inner length larger than the payload', doc(el(5, 'x', binary(2, i32(100) + b'ab'))), 'InvalidBinaryLength', 7, 'x')
error(g, 'subtype 0x04 (UUID) of 15 bytes', doc(el(5, 'u', binary(4, UUID[:15]))), 'InvalidBinaryLength', 7, 'u')
error(g, 'subtype 0x04 (UUID) of 17 bytes', doc(el(5, 'u', binary(4, UUID + b'\x00'))), 'InvalidBinaryLength', 7, 'u')
error(g, 'subtype 0x03 (legacy UUID) of 8 bytes', doc(el(5, 'u', binary(3, UUID[:8]))), 'InvalidBinaryLength', 7, 'u')

# ---------------------------------------------------------------- undefined 0x06, null 0x0A, min/max key
g = group('undefined', 'Undefined type (deprecated)', '0x06')
valid(g, 'undefined', doc(el(6, 'u', b'')), [('u', 'Undefined', '')])
g = group('null', 'Null type', '0x0A')
valid(g, 'null', doc(el(10, 'n', b'')), [('n', 'Null', '')])
valid(g, 'two nulls', doc(el(10, 'a', b''), el(10, 'b', b'')), [('a', 'Null', ''), ('b', 'Null', '')])
g = group('minmaxkey', 'MinKey and MaxKey types', '0xFF/0x7F')
valid(g, 'minKey', doc(el(0xFF, 'lo', b'')), [('lo', 'MinKey', '')])
valid(g, 'maxKey', doc(el(0x7F, 'hi', b'')), [('hi', 'MaxKey', '')])
valid(g, 'both', doc(el(0x7F, 'hi', b''), el(0xFF, 'lo', b'')), [('hi', 'MaxKey', ''), ('lo', 'MinKey', '')])

# ---------------------------------------------------------------- objectId 0x07
g = group('oid', 'ObjectId type', '0x07')
valid(g, 'ObjectId', doc(el(7, '_id', OID)), [('_id', 'ObjectId', OIDH)])
valid(g, 'all zero', doc(el(7, '_id', bytes(12))), [('_id', 'ObjectId', '00' * 12)])
error(g, 'ObjectId of 11 bytes', doc(el(7, '_id', OID[:11])), 'TruncatedValue', 9, '_id')

# ---------------------------------------------------------------- boolean 0x08
g = group('boolean', 'Boolean type', '0x08')
valid(g, 'true', doc(el(8, 'b', b'\x01')), [('b', 'Boolean', 'true')])
valid(g, 'false', doc(el(8, 'b', b'\x00')), [('b', 'Boolean', 'false')])
error(g, 'boolean byte 0x02', doc(el(8, 'b', b'\x02')), 'InvalidBoolean', 7, 'b')
error(g, 'boolean byte 0xFF', doc(el(8, 'b', b'\xff')), 'InvalidBoolean', 7, 'b')
error(g, 'boolean byte missing', doc(el(8, 'b', b'')), 'TruncatedValue', 7, 'b')

# ---------------------------------------------------------------- datetime 0x09
g = group('datetime', 'UTC datetime type', '0x09')
for desc, v in [('epoch', 0), ('2020-07-27T08:03:15.654Z', 1595837195654), ('before the epoch', -284643869501),
                ('long max', 0x7FFFFFFFFFFFFFFF), ('long min', -0x8000000000000000)]:
    valid(g, desc, doc(el(9, 't', i64(v))), [('t', 'DateTime', str(v))])
error(g, 'datetime of 4 bytes', doc(el(9, 't', i32(1))), 'TruncatedValue', 7, 't')

# ---------------------------------------------------------------- regex 0x0B
g = group('regex', 'Regular expression type', '0x0B')
valid(g, 'empty pattern and options', doc(el(11, 'r', cstr('') + cstr(''))), [('r', 'Regex', '//')])
valid(g, 'pattern with options', doc(el(11, 'r', cstr('^ab+c$') + cstr('imx'))), [('r', 'Regex', '/^ab+c$/imx')])
valid(g, 'unicode pattern', doc(el(11, 'r', cstr('\u00e9+') + cstr('u'))), [('r', 'Regex', '/\u00e9+/u')])
error(g, 'pattern without terminator', doc(el(11, 'r', b'abc')), 'TruncatedValue', 7, 'r')
error(g, 'options without terminator', doc(el(11, 'r', cstr('abc') + b'im')), 'TruncatedValue', 11, 'r')
error(g, 'pattern not UTF-8', doc(el(11, 'r', cstr(b'a\xffb') + cstr('i'))), 'InvalidUtf8', 7, 'r')
error(g, 'options not UTF-8', doc(el(11, 'r', cstr('a') + cstr(b'\xc0'))), 'InvalidUtf8', 9, 'r')

# ---------------------------------------------------------------- dbPointer 0x0C
g = group('dbpointer', 'DBPointer type (deprecated)', '0x0C')
valid(g, 'DBPointer', doc(el(12, 'p', string('db.coll') + OID)), [('p', 'DBPointer', 'db.coll;' + OIDH)])
valid(g, 'unicode namespace', doc(el(12, 'p', string('b\u00e9') + OID)), [('p', 'DBPointer', 'b\u00e9;' + OIDH)])
error(g, 'ObjectId cut short', doc(el(12, 'p', string('db') + OID[:11])), 'TruncatedValue', 7, 'p')
error(g, 'namespace length prefix past the document', doc(el(12, 'p', i32(40) + b'db\0' + OID)), 'InvalidStringLength', 7, 'p')
error(g, 'namespace length prefix 0', doc(el(12, 'p', i32(0) + OID)), 'InvalidStringLength', 7, 'p')
error(g, 'namespace not UTF-8', doc(el(12, 'p', string(b'\xe9') + OID)), 'InvalidUtf8', 11, 'p')

# ---------------------------------------------------------------- javascript 0x0D, symbol 0x0E
g = group('code', 'JavaScript code type', '0x0D')
valid(g, 'empty code', doc(el(13, 'c', string(''))), [('c', 'JavaScript', '')])
valid(g, 'code', doc(el(13, 'c', string('function () { return 1; }'))), [('c', 'JavaScript', 'function () { return 1; }')])
error(g, 'code length prefix too large', doc(el(13, 'c', i32(9) + b'x\0')), 'InvalidStringLength', 7, 'c')
error(g, 'code not UTF-8', doc(el(13, 'c', string(b'\x80'))), 'InvalidUtf8', 11, 'c')
g = group('symbol', 'Symbol type (deprecated)', '0x0E')
valid(g, 'symbol', doc(el(14, 's', string('sym'))), [('s', 'Symbol', 'sym')])
valid(g, 'unicode symbol', doc(el(14, 's', string('\u03a3'))), [('s', 'Symbol', '\u03a3')])
error(g, 'symbol missing its terminator', doc(el(14, 's', i32(2) + b'ab')), 'InvalidStringLength', 12, 's')
error(g, 'symbol not UTF-8', doc(el(14, 's', string(b'\xf8'))), 'InvalidUtf8', 11, 's')

# ---------------------------------------------------------------- code with scope 0x0F
g = group('code_w_scope', 'JavaScript code with scope type', '0x0F')
valid(g, 'empty code, empty scope', doc(el(15, 'f', cws('', doc()))), [('f', 'JavaScriptWithScope', '')])
valid(g, 'code and scope', doc(el(15, 'f', cws('x + y', doc(el(0x10, 'x', i32(1)), el(2, 'y', string('two')))))),
      [('f', 'JavaScriptWithScope', 'x + y'), ('f.$scope.x', 'Int32', '1'), ('f.$scope.y', 'String', 'two')])
valid(g, 'scope with a nested document and array', doc(el(15, 'f', cws('v', doc(el(3, 'd', doc(el(4, 'a', doc(el(8, '0', b'\x00')))))))),
      el(0x10, 'after', i32(3))),
      [('f', 'JavaScriptWithScope', 'v'), ('f.$scope.d', 'Document', ''), ('f.$scope.d.a', 'Array', ''),
       ('f.$scope.d.a.0', 'Boolean', 'false'), ('after', 'Int32', '3')])
ok = cws('x', doc(el(0x10, 'x', i32(1))))   # 4 + 6 + 12 = 22 bytes
error(g, 'total length below 14', doc(el(15, 'f', i32(13) + ok[4:])), 'InvalidCodeWithScope', 7, 'f')
error(g, 'total length past the document', doc(el(15, 'f', i32(len(ok) + 1) + ok[4:])), 'InvalidCodeWithScope', 7, 'f')
error(g, 'total length negative', doc(el(15, 'f', i32(-1) + ok[4:])), 'InvalidCodeWithScope', 7, 'f')
bigger = doc(el(15, 'f', i32(len(ok) + 2) + ok[4:] + b'\x00\x00'))
error(g, 'total length larger than code and scope', bigger, 'InvalidCodeWithScope', 17, 'f')
error(g, 'code string length runs past the total', doc(el(15, 'f', ok[:4] + i32(20) + ok[8:])), 'InvalidStringLength', 11, 'f')
error(g, 'code string length negative', doc(el(15, 'f', ok[:4] + i32(-3) + ok[8:])), 'InvalidStringLength', 11, 'f')
error(g, 'scope length smaller than the rest of the total', doc(el(15, 'f', ok[:10] + i32(11) + ok[14:])), 'InvalidCodeWithScope', 17, 'f')
error(g, 'scope length larger than the rest of the total', doc(el(15, 'f', ok[:10] + i32(13) + ok[14:])), 'InvalidCodeWithScope', 17, 'f')
error(g, 'scope does not end with 0x00', doc(el(15, 'f', ok[:-1] + b'\x01')), 'MissingTerminator', 28, 'f')
error(g, 'code not UTF-8', doc(el(15, 'f', cws(b'\xff', doc()))), 'InvalidUtf8', 15, 'f')
error(g, 'fault inside the scope', doc(el(15, 'f', cws('x', doc(el(8, 'b', b'\x05'))))), 'InvalidBoolean', 24, 'f.$scope.b')
error(g, 'cut short before its length prefix', doc(el(15, 'f', b'\x0e\x00')), 'TruncatedValue', 7, 'f')

# ---------------------------------------------------------------- int32 0x10
g = group('int32', 'Int32 type', '0x10')
for v in [0, 1, -1, 0x7FFFFFFF, -0x80000000]:
    valid(g, f'int32 {v}', doc(el(0x10, 'i', i32(v))), [('i', 'Int32', str(v))])
error(g, 'int32 of 2 bytes', doc(el(0x10, 'i', b'\x01\x00')), 'TruncatedValue', 7, 'i')

# ---------------------------------------------------------------- timestamp 0x11
g = group('timestamp', 'Timestamp type', '0x11')
valid(g, 'timestamp (123456789, 42)', doc(el(0x11, 'ts', struct.pack('<II', 42, 123456789))), [('ts', 'Timestamp', '123456789:42')])
valid(g, 'timestamp with the high bit set in both halves', doc(el(0x11, 'ts', struct.pack('<II', 0xFFFFFFFF, 0x80000000))),
      [('ts', 'Timestamp', '2147483648:4294967295')])
error(g, 'timestamp of 7 bytes', doc(el(0x11, 'ts', b'\x01' * 7)), 'TruncatedValue', 8, 'ts')

# ---------------------------------------------------------------- int64 0x12
g = group('int64', 'Int64 type', '0x12')
for v in [0, 1, -1, 0x7FFFFFFFFFFFFFFF, -0x8000000000000000]:
    valid(g, f'int64 {v}', doc(el(0x12, 'l', i64(v))), [('l', 'Int64', str(v))])
error(g, 'int64 of 5 bytes', doc(el(0x12, 'l', b'\x01' * 5)), 'TruncatedValue', 7, 'l')

# ---------------------------------------------------------------- decimal128 0x13
g = group('decimal128', 'Decimal128 type (raw bits)', '0x13')
for desc, hi, lo in [('0', 0x3040000000000000, 0), ('1', 0x3040000000000000, 1), ('-1.5 (-15E-1)', 0xB03E000000000000, 15),
                     ('NaN', 0x7C00000000000000, 0), ('-Infinity', 0xF800000000000000, 0),
                     ('largest coefficient', 0x3041ED09BEAD87C0, 0x378D8E63FFFFFFFF)]:
    valid(g, desc, doc(el(0x13, 'd', u64(lo) + u64(hi))), [('d', 'Decimal128', f'{hi:016x}:{lo:016x}')])
error(g, 'decimal128 of 15 bytes', doc(el(0x13, 'd', b'\x00' * 15)), 'TruncatedValue', 7, 'd')

# ---------------------------------------------------------------- top level and structure
g = group('top', 'Document structure, names, unknown types and nesting depth', '-')
valid(g, 'empty document', doc(), [])
every = doc(el(1, 'a', f64(2.5)), el(2, 'b', string('s')), el(3, 'c', doc()), el(4, 'd', doc()), el(5, 'e', binary(4, UUID)),
            el(6, 'f', b''), el(7, 'g', OID), el(8, 'h', b'\x01'), el(9, 'i', i64(1)), el(10, 'j', b''),
            el(11, 'k', cstr('p') + cstr('i')), el(12, 'l', string('n') + OID), el(13, 'm', string('c')),
            el(14, 'n', string('y')), el(15, 'o', cws('c', doc())), el(0x10, 'p', i32(-2)),
            el(0x11, 'q', struct.pack('<II', 1, 2)), el(0x12, 'r', i64(-3)), el(0x13, 's', u64(1) + u64(0x3040000000000000)),
            el(0xFF, 't', b''), el(0x7F, 'u', b''))
valid(g, 'every type once', every,
      [('a', 'Double', '2.5'), ('b', 'String', 's'), ('c', 'Document', ''), ('d', 'Array', ''), ('e', 'Binary', '04:' + UUID.hex()),
       ('f', 'Undefined', ''), ('g', 'ObjectId', OIDH), ('h', 'Boolean', 'true'), ('i', 'DateTime', '1'), ('j', 'Null', ''),
       ('k', 'Regex', '/p/i'), ('l', 'DBPointer', 'n;' + OIDH), ('m', 'JavaScript', 'c'), ('n', 'Symbol', 'y'),
       ('o', 'JavaScriptWithScope', 'c'), ('p', 'Int32', '-2'), ('q', 'Timestamp', '2:1'), ('r', 'Int64', '-3'),
       ('s', 'Decimal128', '3040000000000000:0000000000000001'), ('t', 'MinKey', ''), ('u', 'MaxKey', '')])
valid(g, 'empty field name', doc(el(0x10, '', i32(1))), [('', 'Int32', '1')])
valid(g, 'field name with four-byte UTF-8', doc(el(0x10, '\U0001F600k', i32(1))), [('\U0001F600k', 'Int32', '1')])


def nest(levels, leaf):
    """levels documents, each the only field 'a' of the one above, the innermost holding leaf."""
    d = doc(leaf)
    for _ in range(levels - 1):
        d = doc(el(3, 'a', d))
    return d


valid(g, '100 levels of documents (the deepest accepted)', nest(100, el(0x10, 'i', i32(1))),
      [('.'.join(['a'] * k), 'Document', '') for k in range(1, 100)] + [('.'.join(['a'] * 99 + ['i']), 'Int32', '1')])
# The value of the document at depth d (top = 1) starts at 7 * (d - 1): each level adds a 4-byte
# prefix and a 3-byte element header (type, one-letter name, 0x00).
error(g, '101 levels of documents', nest(100, el(3, 'a', doc())), 'TooDeep', 7 * 100, '.'.join(['a'] * 100))
arrays = doc()
for _ in range(99):
    arrays = doc(el(4, '0', arrays))
arrays = doc(el(4, 'a', arrays))      # top document, then 'a' and 99 more arrays: 101 levels
error(g, '101 levels of arrays', arrays, 'TooDeep', 7 * 100, '.'.join(['a'] + ['0'] * 99))
deep_scope = nest(99, el(15, 'f', cws('c', doc(el(3, 'x', doc())))))
error(g, 'scope document counted as a level', deep_scope, 'TooDeep', at(deep_scope, b'\x03x\x00') + 3,
      '.'.join(['a'] * 98 + ['f', '$scope', 'x']))
error(g, 'document of 4 bytes', i32(4), 'InvalidDocumentLength', 0)
error(g, 'empty input', b'', 'InvalidDocumentLength', 0)
error(g, 'length prefix larger than the input', i32(6) + b'\x00', 'InvalidDocumentLength', 0)
error(g, 'length prefix smaller than the input', i32(5) + b'\x00\x00', 'InvalidDocumentLength', 0)
error(g, 'length prefix negative', i32(-5) + b'\x00', 'InvalidDocumentLength', 0)
error(g, 'last byte is not 0x00', i32(5) + b'\x01', 'MissingTerminator', 4)
error(g, 'last byte is not 0x00 after elements', doc(el(10, 'a', b''))[:-1] + b'\x02', 'MissingTerminator', 7)
error(g, 'unknown type 0x14', doc(el(0x14, 'x', b'\x00')), 'UnknownType', 4, '')
error(g, 'unknown type 0x80', doc(el(10, 'a', b''), el(0x80, 'x', b'')), 'UnknownType', 7, '')
error(g, 'unknown type 0x20 with no name', i32(6) + b'\x20\x00', 'UnknownType', 4, '')
stray = i32(11) + b'\x0aa\x00' + b'\x00\x0a\x00' + b'\x00'
error(g, 'terminator byte found before the end', stray, 'UnknownType', 7, '')
error(g, 'field name runs to the end of the document', i32(9) + b'\x10abc' + b'\x00', 'UnterminatedName', 4, '')
error(g, 'type byte alone before the terminator', i32(6) + b'\x10\x00', 'UnterminatedName', 4, '')
error(g, 'field name not UTF-8', doc(el(0x10, b'\xc3', i32(1))), 'InvalidUtf8', 5, '\ufffd')
error(g, 'second field name not UTF-8', doc(el(0x10, 'a', i32(1)), el(0x10, b'b\xe0\x80', i32(1))), 'InvalidUtf8', 12, 'b\ufffd\ufffd')

for name, content in files.items():
    with open(os.path.join(HERE, f'bson-{name}.json'), 'w', encoding='utf-8') as f:
        json.dump(content, f, indent=1, ensure_ascii=False)
        f.write('\n')
print(sum(len(c['valid']) for c in files.values()), 'valid,', sum(len(c['decodeErrors']) for c in files.values()), 'decode errors')
