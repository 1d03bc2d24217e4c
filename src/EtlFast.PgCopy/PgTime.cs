namespace EtlFast.PgCopy;

/// <summary>Conversions to PostgreSQL's binary date/time representation (microseconds or days since 2000-01-01).</summary>
public static class PgTime
{
    /// <summary>Milliseconds from 1970-01-01 to 2000-01-01.</summary>
    public const long PgEpochUnixMillis = 946_684_800_000L;

    /// <summary>Lowest timestamptz PostgreSQL accepts: 4714-11-24 00:00:00 BC, as microseconds since 2000-01-01.</summary>
    public const long MinTimestampMicros = -211_813_488_000_000_000L;

    /// <summary>First timestamptz past PostgreSQL's range: 294277-01-01 00:00:00, as microseconds since 2000-01-01.</summary>
    public const long EndTimestampMicros = 9_223_371_331_200_000_000L;

    /// <summary>
    /// A BSON UTC datetime (milliseconds since the Unix epoch) as PostgreSQL microseconds since
    /// 2000-01-01; false when PostgreSQL cannot hold it.
    /// </summary>
    public static bool TryFromUnixMillis(long unixMillis, out long pgMicros)
    {
        // Valid BSON datetimes span about +-292 million years; PostgreSQL's timestamps 4714 BC..294276 AD.
        long pgMillis = unixMillis - PgEpochUnixMillis; // no overflow for the range that can pass below
        if (unixMillis < long.MinValue / 2 || unixMillis > long.MaxValue / 2
            || pgMillis < MinTimestampMicros / 1000 || pgMillis >= EndTimestampMicros / 1000)
        {
            pgMicros = 0;
            return false;
        }
        pgMicros = pgMillis * 1000;
        return true;
    }
}
