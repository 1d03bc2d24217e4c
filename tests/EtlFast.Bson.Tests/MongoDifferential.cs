using System.Buffers;

namespace EtlFast.Bson.Tests;

/// <summary>How an input fared with our reader and with MongoDB.Bson.</summary>
public enum Agreement
{
    BothAccepted,
    BothRefused,
    /// <summary>One accepted and the other refused, for a reason listed in <see cref="Allowance"/>.</summary>
    Allowed,
}

/// <summary>
/// The documented ways in which EtlFast.Bson and MongoDB.Bson 3.x read the same bytes differently. Each
/// is checked against the input, not taken on trust, and each has a pinned case in MongoDifferentialTests.
/// </summary>
public enum Allowance
{
    None,
    /// <summary>
    /// We refuse an array item whose key bytes are not UTF-8; MongoDB.Bson skips array keys unread.
    /// Checked by replacing the refused key with ASCII: we must then read exactly what MongoDB.Bson read.
    /// </summary>
    ArrayKeyNotUtf8,
    /// <summary>
    /// We read the deprecated DBPointer (0x0C); MongoDB.Bson 3.x has no such type and refuses the document
    /// ("Detected unknown BSON type "\x0c"").
    /// </summary>
    DBPointerUnknownToMongo,
    /// <summary>
    /// We refuse documents nested deeper than <see cref="BsonReader.MaxDepth"/> (stack safety);
    /// MongoDB.Bson has no depth limit. Checked: MongoDB.Bson's walk reaches that depth.
    /// </summary>
    DeeperThanMaxDepth,
    /// <summary>
    /// Not an accept/refuse difference but a value one: MongoDB.Bson sorts a regex's options (the BSON
    /// specification wants them sorted), we hand them over as encoded; options are compared sorted.
    /// </summary>
    RegexOptionsSortedByMongo,
}

/// <summary>
/// Differential check of one input against MongoDB.Bson (<see cref="MongoWalk"/>): both must accept or
/// both refuse unless an <see cref="Allowance"/> explains it, and where both accept they must read the
/// same names, types and values. The framer must frame whole every document MongoDB.Bson accepts.
/// </summary>
public static class MongoDifferential
{
    /// <param name="ourError">What our reader threw for <paramref name="input"/> placed at <paramref name="baseOffset"/>, or null.</param>
    public static Agreement Compare(byte[] input, long baseOffset, BsonException? ourError, string what)
    {
        List<WalkItem>? ours = ourError is null ? ReaderWalk.Of(input, baseOffset, positional: true) : null;
        List<WalkItem>? theirs = null;
        Exception? theirError = null;
        try
        {
            theirs = MongoWalk.Of(input);
        }
#pragma warning disable CA1031 // MongoDB.Bson throws several types on malformed input; any of them is a refusal
        catch (Exception ex)
#pragma warning restore CA1031
        {
            theirError = ex;
        }

        if (theirs is not null)
        {
            Assert.True(BsonFramer.TryFrame(input, 0, BsonReader.DefaultMaxDocumentSize, out int length) == OperationStatus.Done
                && length == input.Length, $"{what}: MongoDB.Bson reads the document but the framer does not frame it whole; input {Convert.ToHexString(input)}");
        }
        if (ours is not null && theirs is not null)
        {
            AssertSameWalk(ours, theirs, input, what);
            return Agreement.BothAccepted;
        }
        if (ours is null && theirs is null)
        {
            return Agreement.BothRefused;
        }
        Allowance allowance = ours is null
            ? WhyOnlyMongoAccepts(input, baseOffset, ourError!, theirs!)
            : WhyOnlyWeAccept(ours, theirError!);
        Assert.True(allowance != Allowance.None,
            $"{what}: we {(ours is null ? "refuse: " + ourError!.Message : "accept")}, MongoDB.Bson {(theirs is null ? "refuses: " + theirError!.Message : "accepts")}; input {Convert.ToHexString(input)}");
        return Agreement.Allowed;
    }

    /// <summary>Which allowance explains that we refuse what MongoDB.Bson reads as <paramref name="theirs"/>.</summary>
    public static Allowance WhyOnlyMongoAccepts(byte[] input, long baseOffset, BsonException ourError, List<WalkItem> theirs)
    {
        if (ourError.Kind == BsonErrorKind.TooDeep && theirs.Max(i => i.Path.Split('.').Length) >= BsonReader.MaxDepth)
        {
            return Allowance.DeeperThanMaxDepth;
        }
        if (ourError.Kind == BsonErrorKind.InvalidUtf8 && AsciiKeysReadAsMongoDoes(input, baseOffset, ourError, theirs))
        {
            return Allowance.ArrayKeyNotUtf8;
        }
        return Allowance.None;
    }

    /// <summary>Which allowance explains that MongoDB.Bson refuses, with <paramref name="theirError"/>, what we read as <paramref name="ours"/>.</summary>
    public static Allowance WhyOnlyWeAccept(List<WalkItem> ours, Exception theirError) =>
        ours.Any(i => i.Type == "DBPointer") && theirError is FormatException && theirError.Message.Contains("\"\\x0c\"", StringComparison.Ordinal)
            ? Allowance.DBPointerUnknownToMongo
            : Allowance.None;

    // Replaces each key we refuse as not UTF-8 with '0's (at most a few rounds) and asks for exactly
    // MongoDB.Bson's walk: a refused key anywhere but in an array would change a name and fail that.
    private static bool AsciiKeysReadAsMongoDoes(byte[] input, long baseOffset, BsonException error, List<WalkItem> theirs)
    {
        byte[] patched = (byte[])input.Clone();
        for (int round = 0; round < 8; round++)
        {
            int at = (int)(error.Offset - baseOffset);
            int end = Array.IndexOf(patched, (byte)0, at);
            if (end < 0)
            {
                return false;
            }
            patched.AsSpan(at, end - at).Fill((byte)'0');
            try
            {
                return ReaderWalk.Of(patched, baseOffset, positional: true).SequenceEqual(theirs);
            }
            catch (BsonException next) when (next.Kind == BsonErrorKind.InvalidUtf8 && next.Offset - baseOffset > at)
            {
                error = next;
            }
            catch (BsonException)
            {
                return false;
            }
        }
        return false;
    }

    private static void AssertSameWalk(List<WalkItem> ours, List<WalkItem> theirs, byte[] input, string what)
    {
        for (int i = 0; i < Math.Max(ours.Count, theirs.Count); i++)
        {
            WalkItem? a = i < ours.Count ? Normalized(ours[i]) : null;
            WalkItem? b = i < theirs.Count ? Normalized(theirs[i]) : null;
            Assert.True(a == b, $"{what}: item {i} is {a?.ToString() ?? "missing"} for us, {b?.ToString() ?? "missing"} for MongoDB.Bson; input {Convert.ToHexString(input)}");
        }
    }

    // Allowance.RegexOptionsSortedByMongo: options are compared as letters in ordinal order.
    private static WalkItem Normalized(WalkItem item)
    {
        if (item.Type != "Regex")
        {
            return item;
        }
        int slash = item.Value.LastIndexOf('/');
        char[] options = item.Value[(slash + 1)..].ToCharArray();
        Array.Sort(options);
        return item with { Value = item.Value[..(slash + 1)] + new string(options) };
    }
}
