using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using EtlFast.Bson;
using static EtlFast.Core.Generation.SeedVocabulary;

namespace EtlFast.Core.Generation;

/// <summary>
/// The seed benchmark's <c>users</c> documents (shared/SEED_WORKLOAD.md): same fields, order, types and
/// distributions as the published generator, written straight into a <see cref="BsonWriter"/> with no
/// per-document objects. Unlike the published generator, about 30% of messages carry 1-3 attachments.
/// Each document depends only on (seed, id), and dates count back from the fixed <see cref="ReferenceTime"/>,
/// so a given seed always gives the same bytes.
/// </summary>
public sealed partial class SeedUsersGenerator
{
    public const ulong DefaultSeed = 42;

    /// <summary>Dates fall in the five years before this instant (2025-01-01T00:00:00Z).</summary>
    public static readonly DateTimeOffset ReferenceTime = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Share of messages that carry attachments, in percent.</summary>
    public const int AttachmentPercent = 30;

    private const long FiveYearsMs = 5L * 365 * 24 * 60 * 60 * 1000;
    private static readonly long ReferenceMs = ReferenceTime.ToUnixTimeMilliseconds();

    private readonly ulong _seed;

    public SeedUsersGenerator(ulong seed = DefaultSeed) => _seed = seed;

    public ulong Seed => _seed;

    /// <summary>Writes user <paramref name="id"/> as one complete top-level document.</summary>
    // AggressiveOptimization: under the JIT, skip tier 0 for the per-document code, which a 100k run would
    // otherwise spend a third of its time in (NativeAOT ignores the flag: everything is optimized there).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void WriteUser(BsonWriter writer, int id)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var rng = new Xoshiro256(_seed, (ulong)id);
        Span<byte> scratch = stackalloc byte[128];
        var text = new Utf8Builder(scratch);
        Span<byte> usernameBuffer = stackalloc byte[64];
        var username = new Utf8Builder(usernameBuffer);

        byte[] firstName = Pick(ref rng, FirstNames);
        byte[] lastName = Pick(ref rng, LastNames);
        username.AppendLower(firstName);
        username.Append((byte)'_');
        username.AppendLower(lastName);
        username.Append((byte)'_');
        username.Append(id);

        writer.WriteStartDocument();
        writer.WriteInt32("_id"u8, id);
        writer.WriteString("username"u8, username.Written);
        WriteEmail(writer, "email"u8, username.Written, ref text);
        writer.WriteString("firstName"u8, firstName);
        writer.WriteString("lastName"u8, lastName);
        writer.WriteInt32("age"u8, rng.Between(18, 80));
        long createdAt = Date(ref rng);
        writer.WriteDateTime("createdAt"u8, createdAt);
        writer.WriteDateTime("updatedAt"u8, createdAt + rng.Below(ReferenceMs - createdAt));

        WriteAddress(writer, ref rng, ref text);
        WriteProfile(writer, ref rng, ref text);
        WritePreferences(writer, ref rng, ref text);
        WriteActivityLog(writer, ref rng, ref text);
        WriteTransactions(writer, ref rng, ref text);
        WriteMessages(writer, ref rng, ref text, id, username.Written);
        WriteSocialMedia(writer, ref rng, ref text, id);
        WriteLargeData(writer, ref rng);
        writer.WriteEndDocument();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WriteAddress(BsonWriter writer, ref Xoshiro256 rng, ref Utf8Builder text)
    {
        writer.WriteStartDocument("address"u8);
        text.Clear();
        text.Append(rng.Between(100, 9999));
        text.Append((byte)' ');
        text.Append(Pick(ref rng, StreetNames));
        text.Append((byte)' ');
        text.Append(Pick(ref rng, StreetKinds));
        writer.WriteString("street"u8, text.Written);
        int city = rng.Below(Cities.Length);
        writer.WriteString("city"u8, Cities[city]);
        writer.WriteString("state"u8, States[city]);
        text.Clear();
        text.Append(rng.Between(10000, 99999));
        writer.WriteString("zipCode"u8, text.Written);
        writer.WriteString("country"u8, "USA"u8);
        writer.WriteStartDocument("coordinates"u8);
        writer.WriteDouble("lat"u8, 25.0 + 23.0 * rng.NextDouble());
        writer.WriteDouble("lng"u8, -125.0 + 60.0 * rng.NextDouble());
        writer.WriteEndDocument();
        writer.WriteEndDocument();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WriteProfile(BsonWriter writer, ref Xoshiro256 rng, ref Utf8Builder text)
    {
        writer.WriteStartDocument("profile"u8);
        text.Clear();
        text.Append("Professional "u8);
        text.Append(Pick(ref rng, Roles));
        text.Append(" with "u8);
        text.Append(rng.Between(1, 20));
        text.Append(" years of experience"u8);
        writer.WriteString("bio"u8, text.Written);
        WriteSample(writer, "interests"u8, ref rng, Interests, rng.Between(2, 5));
        WriteSample(writer, "skills"u8, ref rng, Skills, rng.Between(2, 6));

        writer.WriteStartArray("education"u8);
        for (int i = 0, n = rng.Between(1, 3); i < n; i++)
        {
            writer.WriteStartDocument();
            writer.WriteString("institution"u8, Pick(ref rng, Institutions));
            writer.WriteString("degree"u8, Pick(ref rng, Degrees));
            writer.WriteInt32("year"u8, rng.Between(1990, 2023));
            Letters(ref rng, writer.WriteStringSpan("description"u8, 50));
            writer.WriteEndDocument();
        }
        writer.WriteEndArray();

        writer.WriteStartArray("experience"u8);
        for (int i = 0, n = rng.Between(1, 4); i < n; i++)
        {
            writer.WriteStartDocument();
            text.Clear();
            text.Append(Pick(ref rng, CompanyFirst));
            text.Append((byte)' ');
            text.Append(Pick(ref rng, CompanySecond));
            writer.WriteString("company"u8, text.Written);
            writer.WriteString("position"u8, Pick(ref rng, Positions));
            text.Clear();
            text.Append(rng.Between(2010, 2020));
            text.Append((byte)'-');
            text.Append(Pick(ref rng, DurationEnds));
            writer.WriteString("duration"u8, text.Written);
            Letters(ref rng, writer.WriteStringSpan("description"u8, 50));
            writer.WriteEndDocument();
        }
        writer.WriteEndArray();
        writer.WriteEndDocument();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WritePreferences(BsonWriter writer, ref Xoshiro256 rng, ref Utf8Builder text)
    {
        writer.WriteStartDocument("preferences"u8);
        writer.WriteString("language"u8, Pick(ref rng, Languages));
        writer.WriteString("timezone"u8, Pick(ref rng, Timezones));
        writer.WriteStartDocument("notifications"u8);
        ulong bits = rng.Next();
        writer.WriteBoolean("email"u8, (bits & 1) != 0);
        writer.WriteBoolean("push"u8, (bits & 2) != 0);
        writer.WriteBoolean("sms"u8, (bits & 4) != 0);
        writer.WriteEndDocument();
        writer.WriteStartArray("settings"u8);
        for (int i = 0, n = rng.Between(1, 5); i < n; i++)
        {
            writer.WriteStartDocument();
            text.Clear();
            text.Append("setting_"u8);
            text.Append(i);
            writer.WriteString("key"u8, text.Written);
            Letters(ref rng, writer.WriteStringSpan("value"u8, 10));
            writer.WriteDateTime("timestamp"u8, Date(ref rng));
            writer.WriteString("metadata"u8, "{}"u8);
            writer.WriteEndDocument();
        }
        writer.WriteEndArray();
        writer.WriteEndDocument();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WriteActivityLog(BsonWriter writer, ref Xoshiro256 rng, ref Utf8Builder text)
    {
        writer.WriteStartArray("activityLog"u8);
        for (int i = 0, n = rng.Between(5, 20); i < n; i++)
        {
            writer.WriteStartDocument();
            writer.WriteString("key"u8, Pick(ref rng, Actions));
            writer.WriteString("value"u8, Pick(ref rng, Outcomes));
            writer.WriteDateTime("timestamp"u8, Date(ref rng));
            text.Clear();
            text.Append("{\"ip\": \"192.168."u8);
            text.Append(rng.Between(1, 255));
            text.Append((byte)'.');
            text.Append(rng.Between(1, 255));
            text.Append("\"}"u8);
            writer.WriteString("metadata"u8, text.Written);
            writer.WriteEndDocument();
        }
        writer.WriteEndArray();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WriteTransactions(BsonWriter writer, ref Xoshiro256 rng, ref Utf8Builder text)
    {
        writer.WriteStartArray("transactions"u8);
        for (int i = 0, n = rng.Between(0, 10); i < n; i++)
        {
            writer.WriteStartDocument();
            writer.WriteString("key"u8, Pick(ref rng, TransactionKinds));
            text.Clear();
            text.Append(rng.Between(10, 1000));
            writer.WriteString("value"u8, text.Written);
            writer.WriteDateTime("timestamp"u8, Date(ref rng));
            text.Clear();
            text.Append("{\"amount\": "u8);
            text.Append(rng.Between(10, 1000));
            text.Append((byte)'}');
            writer.WriteString("metadata"u8, text.Written);
            writer.WriteEndDocument();
        }
        writer.WriteEndArray();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WriteMessages(BsonWriter writer, ref Xoshiro256 rng, ref Utf8Builder text, int id, ReadOnlySpan<byte> username)
    {
        writer.WriteStartArray("messages"u8);
        for (int i = 0, n = rng.Between(0, 5); i < n; i++)
        {
            writer.WriteStartDocument();
            text.Clear();
            text.Append("msg"u8);
            text.Append(id);
            text.Append((byte)'_');
            text.Append(i);
            writer.WriteString("id"u8, text.Written);
            Span<byte> from = writer.WriteStringSpan("from"u8, 8 + "@example.com"u8.Length);
            LowerLetters(ref rng, from[..8]);
            "@example.com"u8.CopyTo(from[8..]);
            WriteEmail(writer, "to"u8, username, ref text);
            text.Clear();
            text.Append("Message "u8);
            text.Append(i);
            writer.WriteString("subject"u8, text.Written);
            Letters(ref rng, writer.WriteStringSpan("body"u8, 100));
            writer.WriteDateTime("timestamp"u8, Date(ref rng));
            writer.WriteBoolean("read"u8, (rng.Next() & 1) != 0);
            writer.WriteStartArray("attachments"u8);
            int attachments = rng.Chance(AttachmentPercent) ? rng.Between(1, 3) : 0;
            for (int a = 0; a < attachments; a++)
            {
                writer.WriteStartDocument();
                int kind = rng.Below(Extensions.Length);
                Span<byte> name = writer.WriteStringSpan("name"u8, 8 + Extensions[kind].Length);
                LowerLetters(ref rng, name[..8]);
                Extensions[kind].CopyTo(name[8..]);
                writer.WriteInt32("size"u8, rng.Between(1024, 5 * 1024 * 1024));
                writer.WriteString("fileType"u8, MediaTypes[kind]);
                writer.WriteEndDocument();
            }
            writer.WriteEndArray();
            writer.WriteEndDocument();
        }
        writer.WriteEndArray();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WriteSocialMedia(BsonWriter writer, ref Xoshiro256 rng, ref Utf8Builder text, int id)
    {
        writer.WriteStartDocument("socialMedia"u8);
        writer.WriteStartArray("connections"u8);
        for (int i = 0, n = rng.Between(0, 20); i < n; i++)
        {
            text.Clear();
            text.Append("user"u8);
            text.Append(rng.Between(1, 10000));
            writer.WriteString(text.Written);
        }
        writer.WriteEndArray();

        writer.WriteStartArray("posts"u8);
        for (int i = 0, n = rng.Between(0, 10); i < n; i++)
        {
            writer.WriteStartDocument();
            text.Clear();
            text.Append("post"u8);
            text.Append(i);
            writer.WriteString("key"u8, text.Written);
            Letters(ref rng, writer.WriteStringSpan("value"u8, 50));
            writer.WriteDateTime("timestamp"u8, Date(ref rng));
            text.Clear();
            text.Append("{\"likes\": "u8);
            text.Append(rng.Between(0, 100));
            text.Append((byte)'}');
            writer.WriteString("metadata"u8, text.Written);
            writer.WriteEndDocument();
        }
        writer.WriteEndArray();

        writer.WriteStartArray("groups"u8);
        for (int i = 0, n = rng.Between(0, 3); i < n; i++)
        {
            writer.WriteStartDocument();
            text.Clear();
            text.Append("group"u8);
            text.Append(id);
            text.Append((byte)'_');
            text.Append(i);
            writer.WriteString("id"u8, text.Written);
            text.Clear();
            text.Append(Pick(ref rng, GroupFirst));
            text.Append((byte)' ');
            text.Append(Pick(ref rng, GroupSecond));
            writer.WriteString("name"u8, text.Written);
            writer.WriteDateTime("joined"u8, Date(ref rng));
            writer.WriteEndDocument();
        }
        writer.WriteEndArray();
        writer.WriteEndDocument();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WriteLargeData(BsonWriter writer, ref Xoshiro256 rng)
    {
        writer.WriteStartDocument("largeData"u8);
        Letters(ref rng, writer.WriteStringSpan("blob1"u8, 100));
        Letters(ref rng, writer.WriteStringSpan("blob2"u8, 100));
        Letters(ref rng, writer.WriteStringSpan("blob3"u8, 100));
        Letters(ref rng, writer.WriteStringSpan("blob4"u8, 100));
        Letters(ref rng, writer.WriteStringSpan("blob5"u8, 100));
        writer.WriteEndDocument();
    }

    private static void WriteEmail(BsonWriter writer, ReadOnlySpan<byte> name, ReadOnlySpan<byte> user, ref Utf8Builder text)
    {
        text.Clear();
        text.Append(user);
        text.Append("@example.com"u8);
        writer.WriteString(name, text.Written);
    }

    /// <summary>An array of <paramref name="count"/> distinct words of <paramref name="words"/> (a partial Fisher-Yates shuffle).</summary>
    private static void WriteSample(BsonWriter writer, ReadOnlySpan<byte> name, ref Xoshiro256 rng, byte[][] words, int count)
    {
        Span<byte> order = stackalloc byte[16];
        for (int i = 0; i < words.Length; i++)
        {
            order[i] = (byte)i;
        }
        writer.WriteStartArray(name);
        for (int i = 0; i < count; i++)
        {
            int j = i + rng.Below(words.Length - i);
            (order[i], order[j]) = (order[j], order[i]);
            writer.WriteString(words[order[i]]);
        }
        writer.WriteEndArray();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static byte[] Pick(ref Xoshiro256 rng, byte[][] words) => words[rng.Below(words.Length)];

    /// <summary>A UTC datetime (ms) uniform in the five years before the reference time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static long Date(ref Xoshiro256 rng) => ReferenceMs - 1 - rng.Below(FiveYearsMs);

    /// <summary>Fills <paramref name="dest"/> with ASCII letters (a-z, A-Z), four per random draw.</summary>
    internal static void Letters(ref Xoshiro256 rng, Span<byte> dest)
    {
        ref byte alphabet = ref MemoryMarshal.GetReference("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"u8);
        FillFrom(ref rng, dest, ref alphabet, 52);
    }

    /// <summary>Fills <paramref name="dest"/> with lower-case ASCII letters.</summary>
    internal static void LowerLetters(ref Xoshiro256 rng, Span<byte> dest)
    {
        ref byte alphabet = ref MemoryMarshal.GetReference("abcdefghijklmnopqrstuvwxyz"u8);
        FillFrom(ref rng, dest, ref alphabet, 26);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FillFrom(ref Xoshiro256 rng, Span<byte> dest, ref byte alphabet, uint size)
    {
        // Each 16-bit slice of a draw maps to a letter by multiply-shift: uniform to within 2^-10.
        int i = 0;
        for (; i + 4 <= dest.Length; i += 4)
        {
            ulong r = rng.Next();
            dest[i] = Unsafe.Add(ref alphabet, (int)(((uint)(r & 0xFFFF) * size) >> 16));
            dest[i + 1] = Unsafe.Add(ref alphabet, (int)(((uint)((r >> 16) & 0xFFFF) * size) >> 16));
            dest[i + 2] = Unsafe.Add(ref alphabet, (int)(((uint)((r >> 32) & 0xFFFF) * size) >> 16));
            dest[i + 3] = Unsafe.Add(ref alphabet, (int)(((uint)(r >> 48) * size) >> 16));
        }
        if (i < dest.Length)
        {
            ulong r = rng.Next();
            for (; i < dest.Length; i++, r >>= 16)
            {
                dest[i] = Unsafe.Add(ref alphabet, (int)(((uint)(r & 0xFFFF) * size) >> 16));
            }
        }
    }
}
