using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using EtlFast.Core.Mapping;
using EtlFast.PgCopy;

namespace EtlFast.Core.Plan;

/// <summary>Encodes a column's <c>default</c> (JSON in the mapping) once, as a whole COPY field.</summary>
internal static class DefaultValue
{
    public static byte[] Encode(string fileName, ColumnMapping column)
    {
        using var doc = JsonDocument.Parse(column.DefaultJson!);
        JsonElement e = doc.RootElement;
        using var buffer = new CopyBuffer(256);
        try
        {
            Write(column, e, buffer);
        }
        catch (Exception ex) when (ex is FormatException or OverflowException or InvalidOperationException)
        {
            throw new MappingException(fileName, column.Line,
                $"the default of column \"{column.Name}\" does not fit its type {PgTypeNames.SqlType(column)}: {ex.Message}");
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static void Write(ColumnMapping column, JsonElement e, CopyBuffer buffer)
    {
        if (e.ValueKind == JsonValueKind.Null)
        {
            buffer.WriteNull();
            return;
        }
        switch (column.Type)
        {
            case PgType.SmallInt:
                buffer.WriteInt16(checked((short)e.GetInt64()));
                break;
            case PgType.Integer:
                buffer.WriteInt32(e.GetInt32());
                break;
            case PgType.BigInt:
                buffer.WriteInt64(e.GetInt64());
                break;
            case PgType.Real:
                buffer.WriteFloat4(e.GetSingle());
                break;
            case PgType.DoublePrecision:
                buffer.WriteFloat8(e.GetDouble());
                break;
            case PgType.Numeric:
                WriteNumeric(e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetRawText(), buffer);
                break;
            case PgType.Boolean:
                buffer.WriteBoolean(e.GetBoolean());
                break;
            case PgType.Text or PgType.Varchar:
                string s = e.GetString()!;
                if (s.Contains('\0', StringComparison.Ordinal))
                {
                    throw new FormatException("text cannot contain NUL characters");
                }
                buffer.WriteText(Encoding.UTF8.GetBytes(s));
                break;
            case PgType.TimestampTz or PgType.Timestamp:
                DateTimeOffset t = DateTimeOffset.Parse(e.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
                buffer.WriteTimestamp((t.UtcTicks - new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks) / 10);
                break;
            case PgType.Date:
                DateOnly d = DateOnly.Parse(e.GetString()!, CultureInfo.InvariantCulture);
                buffer.WriteDate(d.DayNumber - new DateOnly(2000, 1, 1).DayNumber);
                break;
            case PgType.Jsonb or PgType.Json:
                int mark = buffer.BeginField();
                if (column.Type == PgType.Jsonb)
                {
                    buffer.WriteByte(1);
                }
                buffer.WriteRaw(Encoding.UTF8.GetBytes(e.GetRawText()));
                buffer.EndField(mark);
                break;
            case PgType.Bytea:
                buffer.WriteBytes(Convert.FromBase64String(e.GetString()!));
                break;
            case PgType.Uuid:
                Span<byte> bytes = stackalloc byte[16];
                Guid.Parse(e.GetString()!, CultureInfo.InvariantCulture).TryWriteBytes(bytes, bigEndian: true, out _);
                buffer.WriteUuid(bytes);
                break;
        }
    }

    /// <summary>A decimal literal ("-12.50", "1e-3") to an exact numeric.</summary>
    private static void WriteNumeric(string text, CopyBuffer buffer)
    {
        string t = text.Trim();
        bool negative = t.StartsWith('-');
        t = t.TrimStart('-', '+');
        int exponent = 0;
        int e = t.IndexOfAny(['e', 'E']);
        if (e >= 0)
        {
            exponent = int.Parse(t[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            t = t[..e];
        }
        int dot = t.IndexOf('.', StringComparison.Ordinal);
        if (dot >= 0)
        {
            exponent -= t.Length - dot - 1;
            t = t.Remove(dot, 1);
        }
        if (t.Length == 0 || !t.All(char.IsAsciiDigit))
        {
            throw new FormatException($"\"{text}\" is not a decimal number");
        }
        var coefficient = BigInteger.Parse(t, CultureInfo.InvariantCulture);
        if (coefficient > (BigInteger)UInt128.MaxValue)
        {
            throw new OverflowException("more than 38 significant digits");
        }
        PgNumeric.Write(buffer, negative, (UInt128)coefficient, exponent);
    }
}
