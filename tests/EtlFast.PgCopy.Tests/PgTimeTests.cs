namespace EtlFast.PgCopy.Tests;

/// <summary>PgTime's arithmetic on its own: exact at the edges, no overflow for any long.</summary>
public sealed class PgTimeTests
{
    [Fact]
    public void Unix_millis_bounds_are_the_microsecond_bounds_shifted_to_1970()
    {
        Assert.Equal(-210_866_803_200_000L, PgTime.MinUnixMillis);
        Assert.Equal(9_224_318_016_000_000L, PgTime.EndUnixMillis);
        Assert.True(PgTime.TryFromUnixMillis(PgTime.MinUnixMillis, out long min));
        Assert.Equal(PgTime.MinTimestampMicros, min);
        Assert.True(PgTime.TryFromUnixMillis(PgTime.EndUnixMillis - 1, out long max));
        Assert.Equal(PgTime.EndTimestampMicros - 1000, max);
        Assert.False(PgTime.TryFromUnixMillis(PgTime.MinUnixMillis - 1, out _));
        Assert.False(PgTime.TryFromUnixMillis(PgTime.EndUnixMillis, out _));
    }

    [Theory]
    [InlineData(long.MinValue)]
    [InlineData(long.MinValue + 1)]
    [InlineData(long.MinValue / 2)]
    [InlineData(long.MinValue / 1000)]
    [InlineData(long.MaxValue)]
    [InlineData(long.MaxValue - 1)]
    [InlineData(long.MaxValue / 2)]
    public void Far_out_of_range_millis_fail_without_overflow(long unixMillis)
    {
        checked
        {
            Assert.False(PgTime.TryFromUnixMillis(unixMillis, out long micros));
            Assert.Equal(0, micros);
            Assert.False(PgTime.TryDateFromUnixMillis(unixMillis, out int days));
            Assert.Equal(0, days);
        }
    }

    [Fact]
    public void Every_millisecond_near_the_edges_converts_exactly_or_not_at_all()
    {
        foreach (long edge in new[] { PgTime.MinUnixMillis, PgTime.EndUnixMillis, 0L, PgTime.PgEpochUnixMillis })
        {
            for (long ms = edge - 2_000; ms <= edge + 2_000; ms++)
            {
                bool inRange = ms >= PgTime.MinUnixMillis && ms < PgTime.EndUnixMillis;
                Assert.Equal(inRange, PgTime.TryFromUnixMillis(ms, out long micros));
                if (inRange)
                {
                    Assert.Equal((System.Numerics.BigInteger)(ms - PgTime.PgEpochUnixMillis) * 1000, (System.Numerics.BigInteger)micros);
                }
            }
        }
    }

    [Fact]
    public void Date_bounds_match_the_timestamp_bounds_and_floor_toward_the_past()
    {
        // 4714-11-24 BC is day MinDateDays for both types.
        Assert.Equal(PgTime.MinTimestampMicros / 86_400_000_000L, PgTime.MinDateDays);
        long minDayMillis = (PgTime.MinDateDays + (long)PgTime.PgEpochUnixDays) * 86_400_000L;
        Assert.Equal(PgTime.MinUnixMillis, minDayMillis);
        Assert.True(PgTime.TryDateFromUnixMillis(minDayMillis, out int min));
        Assert.Equal(PgTime.MinDateDays, min);
        Assert.False(PgTime.TryDateFromUnixMillis(minDayMillis - 1, out _));

        long endDayMillis = (PgTime.EndDateDays + (long)PgTime.PgEpochUnixDays) * 86_400_000L;
        Assert.True(PgTime.TryDateFromUnixMillis(endDayMillis - 1, out int last));
        Assert.Equal(PgTime.EndDateDays - 1, last);
        Assert.False(PgTime.TryDateFromUnixMillis(endDayMillis, out _));

        Assert.True(PgTime.TryDateFromUnixMillis(-1, out int beforeEpoch));
        Assert.Equal(-PgTime.PgEpochUnixDays - 1, beforeEpoch);
        Assert.Equal(-PgTime.PgEpochUnixDays, new DateOnly(1970, 1, 1).DayNumber - new DateOnly(2000, 1, 1).DayNumber);
    }
}
