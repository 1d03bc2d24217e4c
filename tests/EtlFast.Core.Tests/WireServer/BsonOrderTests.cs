using EtlFast.WireServer.Query;
using MongoDB.Bson;

namespace EtlFast.Core.Tests.WireServerTests;

public sealed class BsonOrderTests
{
    [Fact]
    public void Types_follow_MongoDB_order()
    {
        var ordered = new BsonValue[]
        {
            BsonMinKey.Value, BsonNull.Value, new BsonInt32(0), new BsonString(""), new BsonDocument(), new BsonArray(),
            new BsonBinaryData([]), ObjectId.Empty, BsonBoolean.False, new BsonDateTime(0), new BsonTimestamp(0),
            new BsonRegularExpression(""), BsonMaxKey.Value,
        };
        for (int i = 0; i < ordered.Length; i++)
        {
            for (int j = 0; j < ordered.Length; j++)
            {
                Assert.Equal(i.CompareTo(j), Math.Sign(BsonOrder.Compare(ordered[i], ordered[j])));
            }
        }
    }

    [Theory]
    [InlineData(1, 1.0, 0)]
    [InlineData(9007199254740993L, 9007199254740992.0, 1)] // 2^53 + 1 vs 2^53: exact, no rounding to double
    [InlineData(-1, -0.5, -1)]
    [InlineData(long.MaxValue, 9223372036854775808.0, -1)]
    [InlineData(long.MinValue, -9223372036854775808.0, 0)]
    public void Long_and_double_compare_exactly(long l, double d, int expected)
    {
        Assert.Equal(expected, Math.Sign(BsonOrder.Compare(new BsonInt64(l), new BsonDouble(d))));
        Assert.Equal(-expected, Math.Sign(BsonOrder.Compare(new BsonDouble(d), new BsonInt64(l))));
    }

    [Fact]
    public void NaN_sorts_below_every_number_and_decimals_compare_by_value()
    {
        Assert.True(BsonOrder.Compare(new BsonDouble(double.NaN), new BsonDouble(double.NegativeInfinity)) < 0);
        Assert.Equal(0, BsonOrder.Compare(new BsonDouble(double.NaN), new BsonDouble(double.NaN)));
        Assert.Equal(0, BsonOrder.Compare(new BsonDecimal128(Decimal128.Parse("2.50")), new BsonDouble(2.5)));
        Assert.True(BsonOrder.Compare(new BsonDecimal128(Decimal128.Parse("2.4")), new BsonInt32(3)) < 0);
    }

    [Fact]
    public void Strings_compare_by_code_point_like_UTF8_bytes()
    {
        // UTF-16 ordinal order would put U+1F600 (a surrogate pair) before U+FF61; UTF-8 bytes do not.
        Assert.True(BsonOrder.Compare("\uFF61", "\U0001F600") < 0);
        Assert.True(BsonOrder.Compare("B", "a") < 0);
        Assert.True(BsonOrder.Compare("a", "ab") < 0);
    }

    [Fact]
    public void Documents_binary_and_timestamps_follow_mongod_rules()
    {
        // Documents: field by field, type rank before field name before value.
        Assert.True(BsonOrder.Compare(new BsonDocument("b", 1), new BsonDocument("a", "x")) < 0);
        Assert.True(BsonOrder.Compare(new BsonDocument("a", 1), new BsonDocument("b", 1)) < 0);
        Assert.True(BsonOrder.Compare(new BsonDocument("a", 1), new BsonDocument { { "a", 1 }, { "b", 0 } }) < 0);
        // Binary: length first, then subtype, then bytes.
        Assert.True(BsonOrder.Compare(new BsonBinaryData([9]), new BsonBinaryData([0, 0])) < 0);
        Assert.True(BsonOrder.Compare(new BsonBinaryData([9], BsonBinarySubType.Binary), new BsonBinaryData([0], BsonBinarySubType.UserDefined)) < 0);
        // Timestamps are unsigned.
        Assert.True(BsonOrder.Compare(new BsonTimestamp(1), new BsonTimestamp(-1)) < 0);
    }
}
