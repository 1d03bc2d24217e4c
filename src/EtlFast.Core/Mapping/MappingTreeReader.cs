using System.Text;
using System.Text.Json;

namespace EtlFast.Core.Mapping;

/// <summary>
/// Reads mapping-file JSON (comments and trailing commas allowed) into <see cref="MappingNode"/>s that
/// remember their lines. Syntax errors become <see cref="MappingException"/>s with the line.
/// </summary>
internal static class MappingTreeReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static readonly JsonReaderOptions Options = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        MaxDepth = 64,
    };

    public static MappingNode Read(ReadOnlySpan<byte> utf8Json, string fileName)
    {
        // A UTF-8 byte order mark is not JSON to Utf8JsonReader; it holds no newline, so lines stay right.
        if (utf8Json.StartsWith("\uFEFF"u8))
        {
            utf8Json = utf8Json[3..];
        }
        utf8Json = WithLfLineEnds(utf8Json);
        var lines = new LineIndex(utf8Json);
        var reader = new Utf8JsonReader(utf8Json, Options);
        try
        {
            if (!reader.Read())
            {
                MappingThrow.At(fileName, lines.LineOf(utf8Json.Length), "the mapping file holds no JSON; it must be one object such as {\"collection\": \"users\", \"tables\": [...]}");
            }
            MappingNode root = ReadValue(ref reader, lines, fileName);
            // Reading past the root makes the reader reject anything but whitespace and comments after it.
            reader.Read();
            return root;
        }
        catch (JsonException e) when (reader.TokenType == JsonTokenType.None)
        {
            // Only whitespace and comments: the reader's own message speaks of "isFinalBlock".
            int line = e.LineNumber is long l ? (int)l + 1 : 1;
            MappingThrow.At(fileName, line, "the mapping file holds no JSON; it must be one object such as {\"collection\": \"users\", \"tables\": [...]}");
            return null;
        }
        catch (JsonException e)
        {
            int line = e.LineNumber is long l ? (int)l + 1 : lines.LineOf(reader.TokenStartIndex);
            MappingThrow.At(fileName, line, $"invalid JSON: {WithoutPosition(e.Message)}; fix the syntax (comments // /* */ and trailing commas are allowed, single quotes and unquoted keys are not)");
            return null;
        }
    }

    /// <summary>
    /// A lone CR (classic Mac line ends) becomes LF, so Utf8JsonReader and the line index, which count LF,
    /// name the line an editor shows. Same length, so every offset stays; CRLF is left as it is. A raw CR
    /// is never valid inside a JSON string, so no value changes.
    /// </summary>
    private static ReadOnlySpan<byte> WithLfLineEnds(ReadOnlySpan<byte> text)
    {
        int cr = text.IndexOf((byte)'\r');
        if (cr < 0)
        {
            return text;
        }
        byte[] copy = text.ToArray();
        for (int i = cr; i < copy.Length; i++)
        {
            if (copy[i] == '\r' && (i + 1 == copy.Length || copy[i + 1] != '\n'))
            {
                copy[i] = (byte)'\n';
            }
        }
        return copy;
    }

    private static MappingNode ReadValue(ref Utf8JsonReader reader, LineIndex lines, string fileName)
    {
        int line = lines.LineOf(reader.TokenStartIndex);
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
            {
                MappingNode obj = MappingNode.Container(MappingNodeKind.Object, line);
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    int keyLine = lines.LineOf(reader.TokenStartIndex);
                    string key = GetString(ref reader, keyLine, fileName);
                    if (obj.Get(key) is not null)
                    {
                        MappingThrow.At(fileName, keyLine, $"duplicate key \"{key}\" in the same object; keep only one of them");
                    }
                    reader.Read();
                    obj.Members.Add(new MappingMember(key, keyLine, ReadValue(ref reader, lines, fileName)));
                }
                return obj;
            }
            case JsonTokenType.StartArray:
            {
                MappingNode array = MappingNode.Container(MappingNodeKind.Array, line);
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    array.Items.Add(ReadValue(ref reader, lines, fileName));
                }
                return array;
            }
            case JsonTokenType.String:
            {
                string raw = DecodeRaw(reader.ValueSpan, line, fileName);
                string text = GetString(ref reader, line, fileName);
                return MappingNode.String(line, "\"" + raw + "\"", text);
            }
            case JsonTokenType.Number:
                return MappingNode.Scalar(MappingNodeKind.Number, line, DecodeRaw(reader.ValueSpan, line, fileName));
            case JsonTokenType.True:
                return MappingNode.Scalar(MappingNodeKind.True, line, "true");
            case JsonTokenType.False:
                return MappingNode.Scalar(MappingNodeKind.False, line, "false");
            default:
                return MappingNode.Scalar(MappingNodeKind.Null, line, "null");
        }
    }

    private static string GetString(ref Utf8JsonReader reader, int line, string fileName)
    {
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            MappingThrow.At(fileName, line, "a string holds invalid UTF-8 or a lone surrogate escape; save the file as UTF-8 and fix the \\u escape");
            return null;
        }
    }

    private static string DecodeRaw(ReadOnlySpan<byte> raw, int line, string fileName)
    {
        try
        {
            return StrictUtf8.GetString(raw);
        }
        catch (DecoderFallbackException)
        {
            MappingThrow.At(fileName, line, "a string is not valid UTF-8; save the mapping file as UTF-8");
            return null;
        }
    }

    private static string WithoutPosition(string message)
    {
        // The reader appends " LineNumber: n | BytePositionInLine: m."; the line is reported separately.
        int i = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        string m = (i >= 0 ? message[..i] : message).TrimEnd();
        return m.EndsWith('.') ? m[..^1] : m;
    }
}
