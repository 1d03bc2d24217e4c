namespace EtlFast.Core.Engine;

/// <summary>
/// TEST ONLY: a fault planted in the encoder so that a test can show what <c>verify --sample</c>
/// catches and the full verify (which recomputes rows with this same encoder) cannot. Set
/// <c>ETLFAST_TEST_PLANT_FAULT=timestamptz-off-by-one-second</c> in the environment of an etlfast
/// process and every timestamptz/timestamp value it encodes is one second late. Read once per process;
/// unset (always, outside tests) it is a constant zero added to a value.
/// </summary>
internal static class TestFaults
{
    public const string Variable = "ETLFAST_TEST_PLANT_FAULT";

    /// <summary>Microseconds added to every encoded timestamp: 0 unless the fault is planted.</summary>
    public static readonly long TimestampShiftMicros =
        Environment.GetEnvironmentVariable(Variable) == "timestamptz-off-by-one-second" ? 1_000_000 : 0;
}
