namespace EtlFast.PgCopy;

/// <summary>
/// Conversions to PostgreSQL's binary date/time representation (microseconds or days since
/// 2000-01-01). The range constants are PostgreSQL's own (datatype/timestamp.h), checked against a
/// live server by the tests: timestamp_recv/date_recv reject anything outside them, except the two
/// infinity sentinels.
/// </summary>
public static class PgTime
{
    /// <summary>Milliseconds from 1970-01-01 to 2000-01-01.</summary>
    public const long PgEpochUnixMillis = 946_684_800_000L;

    /// <summary>Days from 1970-01-01 to 2000-01-01.</summary>
    public const int PgEpochUnixDays = 10_957;

    private const long MillisPerDay = 86_400_000L;

    /// <summary>Lowest timestamptz PostgreSQL accepts: 4714-11-24 00:00:00 BC, as microseconds since 2000-01-01 (MIN_TIMESTAMP).</summary>
    public const long MinTimestampMicros = -211_813_488_000_000_000L;

    /// <summary>First timestamptz past PostgreSQL's range: 294277-01-01 00:00:00, as microseconds since 2000-01-01 (END_TIMESTAMP).</summary>
    public const long EndTimestampMicros = 9_223_371_331_200_000_000L;

    /// <summary>The binary form of timestamp 'infinity' (DT_NOEND).</summary>
    public const long PositiveInfinityMicros = long.MaxValue;

    /// <summary>The binary form of timestamp '-infinity' (DT_NOBEGIN).</summary>
    public const long NegativeInfinityMicros = long.MinValue;

    /// <summary><see cref="MinTimestampMicros"/> as Unix milliseconds (both are whole milliseconds).</summary>
    public const long MinUnixMillis = MinTimestampMicros / 1000 + PgEpochUnixMillis;

    /// <summary><see cref="EndTimestampMicros"/> as Unix milliseconds: the first one PostgreSQL cannot hold.</summary>
    public const long EndUnixMillis = EndTimestampMicros / 1000 + PgEpochUnixMillis;

    /// <summary>Lowest date PostgreSQL accepts: 4714-11-24 BC, as days since 2000-01-01.</summary>
    public const int MinDateDays = -2_451_545;

    /// <summary>First date past PostgreSQL's range: 5874898-01-01, as days since 2000-01-01.</summary>
    public const int EndDateDays = 2_145_031_949;

    /// <summary>The binary form of date 'infinity' (DATEVAL_NOEND).</summary>
    public const int PositiveInfinityDays = int.MaxValue;

    /// <summary>The binary form of date '-infinity' (DATEVAL_NOBEGIN).</summary>
    public const int NegativeInfinityDays = int.MinValue;

    /// <summary>
    /// A BSON UTC datetime (milliseconds since the Unix epoch) as PostgreSQL microseconds since
    /// 2000-01-01; false when PostgreSQL cannot hold it. Exact for every long: the range is checked
    /// before any arithmetic, and inside it nothing overflows.
    /// </summary>
    public static bool TryFromUnixMillis(long unixMillis, out long pgMicros)
    {
        // Valid BSON datetimes span about +-292 million years; PostgreSQL's timestamps 4714 BC..294276 AD.
        if (unixMillis < MinUnixMillis || unixMillis >= EndUnixMillis)
        {
            pgMicros = 0;
            return false;
        }
        pgMicros = (unixMillis - PgEpochUnixMillis) * 1000;
        return true;
    }

    /// <summary>
    /// The UTC calendar day of a BSON datetime as PostgreSQL days since 2000-01-01 (the time of day is
    /// dropped, rounding toward the past also before 1970); false when PostgreSQL's date cannot hold it.
    /// </summary>
    public static bool TryDateFromUnixMillis(long unixMillis, out int pgDays)
    {
        long unixDays = unixMillis / MillisPerDay; // |result| < 1.1e11: no overflow below
        if (unixMillis % MillisPerDay < 0)
        {
            unixDays--;
        }
        long days = unixDays - PgEpochUnixDays;
        if (days < MinDateDays || days >= EndDateDays)
        {
            pgDays = 0;
            return false;
        }
        pgDays = (int)days;
        return true;
    }
}
