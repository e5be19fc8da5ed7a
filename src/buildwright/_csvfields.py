"""One CSV record split into fields, as tonistiigi/go-csvvalue does with its default options.

BuildKit and buildx read every `key=value,...` flag and `--mount` value this way.
"""

from __future__ import annotations


class CSVFieldError(ValueError):
    """A record go-csvvalue refuses; the message is its text (`parse error on line 1, ...`)."""


def csv_fields(line: str) -> list[str]:
    """One CSV record split into fields (tonistiigi/go-csvvalue with default options)."""
    if line.endswith("\r\n"):
        line = line[:-2]
    elif line.endswith("\n"):
        line = line[:-1]
    if line == "":
        raise CSVFieldError("EOF")
    data = line.encode("utf-8", "surrogateescape")
    fields: list[bytes] = []
    pos = 0
    while True:
        if not data or data[:1] != b'"':
            comma = data.find(b",")
            field = data if comma < 0 else data[:comma]
            quote_at = field.find(b'"')
            if quote_at >= 0:
                raise CSVFieldError(f'parse error on line 1, column {pos + quote_at + 1}: bare " in non-quoted field')
            fields.append(field)
            if comma < 0:
                break
            data = data[comma + 1 :]
            pos += comma + 1
            continue
        data = data[1:]
        pos += 1
        half_open = False
        done = False
        while True:
            end = data.find(b'"')
            if end < 0:
                raise CSVFieldError(f'parse error on line 1, column {pos + 1}: extraneous or missing " in quoted-field')
            if half_open:
                fields[-1] += data[:end]
            else:
                fields.append(data[:end])
            half_open = False
            data = data[end + 1 :]
            pos += end + 1
            if data[:1] == b'"':
                fields[-1] += b'"'
                data = data[1:]
                pos += 1
                half_open = True
            elif data[:1] == b",":
                data = data[1:]
                pos += 1
                break
            elif not data:
                done = True
                break
            else:
                raise CSVFieldError(f'parse error on line 1, column {pos}: extraneous or missing " in quoted-field')
        if done:
            break
    return [f.decode("utf-8", "surrogateescape") for f in fields]
