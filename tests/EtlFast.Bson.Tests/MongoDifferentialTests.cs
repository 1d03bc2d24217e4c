using System.Buffers.Binary;
using System.Text;
using MongoDB.Bson;
using Xunit.Sdk;

namespace EtlFast.Bson.Tests;

/// <summary>
/// Pins each <see cref="Allowance"/> of the differential fuzz test to a case of its own, so that a
/// difference that goes away (or a new one) is seen, and shows that the differential check can fail.
/// </summary>
public sealed class MongoDifferentialTests
{
    [Fact]
    public void Array_key_that_is_not_utf8_is_refused_by_us_and_skipped_by_MongoDB()
    {
        byte[] input = Doc(Element(0x04, "a", Doc(Element(0x10, "\uFFFF", Int32(7)))));
        int key = Array.IndexOf(input, (byte)0x10) + 1;
        input[key] = 0xFF; // an invalid first byte in place of the key's first byte

        var ours = Assert.Throws<BsonException>(() => ReaderWalk.Of(input));
        Assert.Equal((BsonErrorKind.InvalidUtf8, "a.0"), (ours.Kind, ours.Path));
        List<WalkItem> theirs = MongoWalk.Of(input);
        Assert.Equal(new WalkItem("a.0", "Int32", "7"), theirs[^1]);
        Assert.Equal(Allowance.ArrayKeyNotUtf8, MongoDifferential.WhyOnlyMongoAccepts(input, 0, ours, theirs));
        Assert.Equal(Agreement.Allowed, MongoDifferential.Compare(input, 0, ours, "pinned"));
    }

    [Fact]
    public void Field_name_or_string_that_is_not_utf8_is_refused_by_both()
    {
        byte[] name = Doc(Element(0x10, "\uFFFF", Int32(7)));
        name[5] = 0xFF;
        byte[] text = Doc(Element(0x02, "s", String("\uFFFF")));
        text[^3] = 0xFF;
        foreach (byte[] input in new[] { name, text })
        {
            var ours = Assert.Throws<BsonException>(() => ReaderWalk.Of(input));
            Assert.Equal(BsonErrorKind.InvalidUtf8, ours.Kind);
            Assert.Equal(Agreement.BothRefused, MongoDifferential.Compare(input, 0, ours, "pinned"));
        }
    }

    [Fact]
    public void DBPointer_is_read_by_us_and_refused_by_MongoDB()
    {
        byte[] oid = Convert.FromHexString("5f1e2d3c4b5a69788796a5b4");
        byte[] input = Doc(Element(0x0C, "p", [.. String("db.coll"), .. oid]));

        Assert.Equal([new WalkItem("p", "DBPointer", "db.coll;5f1e2d3c4b5a69788796a5b4")], ReaderWalk.Of(input));
        var theirs = Assert.Throws<FormatException>(() => MongoWalk.Of(input));
        Assert.Equal(Allowance.DBPointerUnknownToMongo, MongoDifferential.WhyOnlyWeAccept(ReaderWalk.Of(input), theirs));
        Assert.Equal(Agreement.Allowed, MongoDifferential.Compare(input, 0, null, "pinned"));
    }

    [Fact]
    public void Nesting_past_MaxDepth_is_refused_by_us_and_read_by_MongoDB()
    {
        Assert.Equal(Agreement.BothAccepted, MongoDifferential.Compare(Nested(BsonReader.MaxDepth), 0, null, "pinned"));

        byte[] input = Nested(BsonReader.MaxDepth + 1);
        var ours = Assert.Throws<BsonException>(() => ReaderWalk.Of(input));
        Assert.Equal(BsonErrorKind.TooDeep, ours.Kind);
        Assert.Equal(Allowance.DeeperThanMaxDepth, MongoDifferential.WhyOnlyMongoAccepts(input, 0, ours, MongoWalk.Of(input)));
        Assert.Equal(Agreement.Allowed, MongoDifferential.Compare(input, 0, ours, "pinned"));
    }

    [Fact]
    public void Regex_options_are_handed_over_as_encoded_by_us_and_sorted_by_MongoDB()
    {
        byte[] input = Doc(Element(0x0B, "r", [.. CString("^a"), .. CString("xi")]));

        Assert.Equal("/^a/xi", ReaderWalk.Of(input)[0].Value);
        Assert.Equal("/^a/ix", MongoWalk.Of(input)[0].Value);
        Assert.Equal(Agreement.BothAccepted, MongoDifferential.Compare(input, 0, null, "pinned"));
    }

    [Fact]
    public void Every_corpus_case_agrees_with_MongoDB_or_has_an_allowance()
    {
        var seen = new HashSet<Agreement>();
        foreach (CorpusCase c in CorpusCase.All)
        {
            BsonException? ours = null;
            try
            {
                ReaderWalk.Of(c.Bson);
            }
            catch (BsonException ex)
            {
                ours = ex;
            }
            seen.Add(MongoDifferential.Compare(c.Bson, 0, ours, $"{c.File} / {c.Description}"));
        }
        Assert.Equal([Agreement.BothAccepted, Agreement.BothRefused, Agreement.Allowed], seen.Order());
    }

    [Fact]
    public void A_difference_without_an_allowance_fails_the_check()
    {
        byte[] valid = new BsonDocument { { "a", 1 }, { "b", "two" } }.ToBson();
        var invented = new BsonException(BsonErrorKind.InvalidBoolean, 7, "a", "invented refusal");
        Assert.Throws<TrueException>(() => MongoDifferential.Compare(valid, 0, invented, "pinned"));

        byte[] boolean = Doc(Element(0x08, "t", [2])); // both refuse a boolean byte other than 0 or 1
        var ours = Assert.Throws<BsonException>(() => ReaderWalk.Of(boolean));
        Assert.Equal(Agreement.BothRefused, MongoDifferential.Compare(boolean, 0, ours, "pinned"));
    }

    // Written by hand: MongoDB.Bson's own writer stops at 100 levels.
    private static byte[] Nested(int levels)
    {
        byte[] doc = Doc(Element(0x10, "x", Int32(1)));
        for (int i = 1; i < levels; i++)
        {
            doc = Doc(Element(0x03, "a", doc));
        }
        return doc;
    }

    private static byte[] Doc(params byte[][] elements)
    {
        byte[] body = [.. elements.SelectMany(e => e)];
        byte[] doc = new byte[4 + body.Length + 1];
        BinaryPrimitives.WriteInt32LittleEndian(doc, doc.Length);
        body.CopyTo(doc, 4);
        return doc;
    }

    private static byte[] Element(byte type, string name, byte[] value) => [type, .. CString(name), .. value];

    private static byte[] CString(string s) => [.. Encoding.UTF8.GetBytes(s), 0];

    private static byte[] String(string s)
    {
        byte[] utf8 = CString(s);
        return [.. BitConverter.GetBytes(utf8.Length), .. utf8];
    }

    private static byte[] Int32(int v) => BitConverter.GetBytes(v);
}
